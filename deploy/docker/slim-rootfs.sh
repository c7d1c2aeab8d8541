#!/bin/bash
# Runs once inside the `rootfs` build stage (a Debian with python3.11, tini and ca-certificates
# installed) and cuts it down to what a Conveyor process needs at run time. The final image
# is this tree copied onto `scratch`, so what is deleted here is really gone (not hidden under
# a whiteout in a lower layer).
#
# - the runtime user: uid/gid 10001 `conveyor`, no login shell, no password;
# - no package manager: apt, dpkg, debconf and the perl they run on are removed, and so are
#   the tools that only make sense on a booted system (login, passwd, mount, util-linux,
#   e2fsprogs, PAM); /var/lib/dpkg/status is kept, minus the removed packages, so image
#   scanners still see the Debian packages and versions inside;
# - no set-uid/set-gid files; no docs (copyright files kept), man pages, locales, caches, logs;
# - a guard: every ELF file left must still find its shared libraries.
set -euo pipefail

UID_GID=10001
REMOVE=(
    apt libapt-pkg6.0 dpkg debconf perl-base debian-archive-keyring gpgv adduser
    passwd login mount util-linux util-linux-extra e2fsprogs libext2fs2 libss2 logsave
    init-system-helpers sysvinit-utils libpam-modules libpam-modules-bin libpam-runtime
    libpam0g libsemanage2 libsemanage-common libsepol2 libgnutls30 libp11-kit0 libtasn1-6
    libidn2-0 libunistring2 libnettle8 libhogweed6 libsystemd0 libudev1 libgcrypt20
    libgpg-error0 libdebconfclient0 libxxhash0 liblz4-1 libaudit1 libaudit-common libcap-ng0
    libmd0 diffutils
)

# 1. The runtime user (files, not useradd: passwd is removed below).
echo "conveyor:x:$UID_GID:$UID_GID:Conveyor:/home/conveyor:/usr/sbin/nologin" >>/etc/passwd
echo "conveyor:x:$UID_GID:" >>/etc/group
echo "conveyor:!:19000::::::" >>/etc/shadow
install -d -m 0755 -o "$UID_GID" -g "$UID_GID" /home/conveyor

# 2. Remove the packages' files (directories stay: they may be shared), then their records.
installed=()
for pkg in "${REMOVE[@]}"; do
    if dpkg-query -W -f '${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii'; then installed+=("$pkg"); fi
done
files="$(mktemp)"
dpkg-query -L "${installed[@]}" | sort -u >"$files"
dpkg_info=/var/lib/dpkg/info
status=/var/lib/dpkg/status
drop=" ${installed[*]} "
awk -v drop="$drop" 'BEGIN { RS = ""; ORS = "\n\n" }
    { pkg = $0; sub(/^Package: /, "", pkg); sub(/\n.*/, "", pkg)
      if (index(drop, " " pkg " ") == 0) print }' "$status" >"$status.new"
for pkg in "${installed[@]}"; do rm -f "$dpkg_info/$pkg".* "$dpkg_info/$pkg":*.*; done
# dpkg's maintainer scripts and other state are useless without dpkg; keep the file lists.
find "$dpkg_info" -type f ! -name '*.list' ! -name '*.md5sums' -delete
mv "$status.new" "$status"
rm -f /var/lib/dpkg/status-old /var/lib/dpkg/available* /var/lib/dpkg/diversions* \
    /var/lib/dpkg/statoverride* /var/lib/dpkg/*-old
rm -rf /var/lib/dpkg/updates /var/lib/dpkg/triggers /var/lib/dpkg/alternatives /var/lib/dpkg/parts
while IFS= read -r path; do
    # Directories stay, and so do symlinks to directories (/lib64, /bin... on merged /usr).
    if [[ -d "$path" ]]; then continue; fi
    if [[ -L "$path" || -e "$path" ]]; then rm -f "$path"; fi
done <"$files"
rm -f "$files"
rm -rf /etc/apt /var/lib/apt /var/cache/apt /var/cache/debconf /var/log/apt /etc/dpkg \
    /usr/share/perl5 /usr/lib/x86_64-linux-gnu/perl-base /usr/share/keyrings \
    /etc/pam.d /etc/security /usr/lib/x86_64-linux-gnu/security

# 3. Documentation, translations, caches: only the copyright files stay.
find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
find /usr/share/doc -mindepth 1 -type d -empty -delete
rm -rf /usr/share/man /usr/share/info /usr/share/locale /usr/share/lintian /usr/share/linda \
    /usr/share/bash-completion /usr/share/bug /usr/share/common-licenses/GPL-1 \
    /var/cache/* /var/log/* /tmp/* /root/.cache /root/.wget-hsts
# Not used by Python programs: glibc's iconv charset modules (UTF-8 and Latin-1 are built in),
# 2to3 and pydoc's topic index.
rm -rf /usr/lib/x86_64-linux-gnu/gconv /usr/lib/python3.11/lib2to3 /usr/lib/python3.11/pydoc_data
install -d -m 1777 /tmp

# 4. No privilege escalation from inside.
find / -xdev -type f -perm /6000 -exec chmod a-s {} +

# 5. Guard: everything executable or loadable still links.
missing=0
while IFS= read -r -d '' elf; do
    if ! out="$(/usr/lib64/ld-linux-x86-64.so.2 --list "$elf" 2>/dev/null)"; then continue; fi
    if grep -q 'not found' <<<"$out"; then
        echo "slim-rootfs: $elf lost a library:" >&2
        grep 'not found' <<<"$out" >&2
        missing=1
    fi
done < <(find /usr/bin /usr/sbin /usr/lib /usr/libexec -xdev -type f \( -perm -u+x -o -name '*.so*' \) -print0 2>/dev/null)
for cmd in dpkg apt apt-get perl; do
    if command -v "$cmd" >/dev/null; then echo "slim-rootfs: $cmd is still here" >&2; missing=1; fi
done
exit "$missing"
