// The console works without this file; it adds the theme toggle and the cron examples.
(function () {
  var KEY = "conveyor-theme";
  var media = window.matchMedia("(prefers-color-scheme: dark)");

  function effective() {
    return document.documentElement.dataset.theme || (media.matches ? "dark" : "light");
  }

  function label() {
    var button = document.getElementById("theme-toggle");
    if (!button) { return; }
    var dark = effective() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
    button.querySelector(".theme-label").textContent = dark ? "Dark mode: on" : "Dark mode: off";
  }

  if ("serviceWorker" in navigator) {
    // Caches the shell and an offline page only; data always comes from the network.
    navigator.serviceWorker.register("/sw.js").catch(function () { /* the console works without it */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (button) {
      button.addEventListener("click", function () {
        var next = effective() === "dark" ? "light" : "dark";
        document.documentElement.dataset.theme = next;
        try { localStorage.setItem(KEY, next); } catch (e) { /* not persisted */ }
        label();
      });
    }
    media.addEventListener("change", label);
    label();

    // After a refused form, start where the first problem is.
    var invalid = document.querySelector("[aria-invalid=true]");
    if (invalid) { invalid.focus(); }

    document.querySelectorAll("[data-cron]").forEach(function (chip) {
      chip.addEventListener("click", function () {
        var input = document.getElementById("f-cron");
        input.value = chip.dataset.cron;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.focus();
      });
    });
  });
})();
