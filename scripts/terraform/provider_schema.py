"""A Terraform provider's schema, read from its published CDKTF binding package (ADR 0901).

The real providers cannot be built here (the Go module proxy serves only their 2019 releases,
which speak a plugin protocol Terraform 1.x no longer loads — docs/terraform.md). Their CDKTF
bindings on the npm registry (``@cdktf/provider-aws`` …) are generated from each provider's own
``providers schema -json`` output and name the provider version they were generated from; this
script turns them back into that JSON document, which ``terraform-schema-provider`` serves to
OpenTofu so ``validate`` and ``test`` (with ``mock_provider``) check modules against the real
resource and attribute names, types, nesting and required arguments.

    python scripts/terraform/provider_schema.py NODE_MODULES MIRROR_DIR

Read from the package: ``.jsii`` (types, required/optional, which attributes are read-only) and
``lib/*/index.js`` (the Terraform names of attributes, block vs attribute, list vs set).
What a CDKTF package does not carry, and so is not checked here: the provider's own value
validators (enums, ARN formats), ``computed`` on arguments a user may also set, deprecations.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JsonType = str | list[Any]
Block = dict[str, Any]

# Properties every CDKTF class declares that are not Terraform attributes.
NOT_ATTRIBUTES = {
    "fqn",
    "terraformResourceType",
    "tfResourceType",
    "internalValue",
    "terraformGeneratorMetadata",
}
GETTER = re.compile(r"get (\w+)\(\) \{\s*return [^;]*?get\w*Attribute\('(\w+)'\)", re.S)
SET_GETTER = re.compile(r"get (\w+)\(\) \{\s*return cdktf\.Fn\.toset\(")
NESTED = re.compile(r"this\._(\w+) = new \w+\(this, \"(\w+)\"")
HCL_ATTRIBUTE = re.compile(r"\n\s+(\w+): \{\s*value: [^\n]*\n\s*isBlock: (true|false),\s*type: \"(\w+)\"")
STATIC_TYPE = re.compile(r"\n(\w+)\.tfResourceType = \"(\w+)\";")


class SchemaError(Exception):
    pass


@dataclass
class Submodule:
    """One ``lib/<name>/index.js``: the Terraform names its classes and HCL functions use."""

    source: str
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # class -> camel -> snake
    sets: dict[str, set[str]] = field(default_factory=dict)  # class -> camel names read as sets
    # scope -> snake -> (is a block, list/set/map/struct/simple)
    hcl: dict[str, dict[str, tuple[bool, str]]] = field(default_factory=dict)

    def class_body(self, name: str) -> str:
        start = self.source.find(f"\nclass {name} extends ")
        if start < 0:
            raise SchemaError(f"class {name} not found in the package's JavaScript")
        end = self.source.find("\nclass ", start + 1)
        return self.source[start : end if end > 0 else len(self.source)]

    def snake_names(self, cls: str) -> dict[str, str]:
        if cls not in self.names:
            body = self.class_body(cls)
            found = {camel: snake for camel, snake in GETTER.findall(body)}
            found.update({camel: snake for camel, snake in NESTED.findall(body)})
            self.names[cls] = found
            self.sets[cls] = set(SET_GETTER.findall(body))
        return self.names[cls]

    def hcl_attributes(self, scope: str) -> dict[str, tuple[bool, str]]:
        """``isBlock`` and ``type`` per attribute of a struct's ``…ToHclTerraform`` function
        (``scope`` = its name) or of a resource's ``synthesizeHclAttributes`` (``scope`` = class)."""
        if not scope:
            return {}
        if scope not in self.hcl:
            marker = f"function {scope}(struct) {{" if scope[0].islower() else None
            if marker is not None:
                start = self.source.find(marker)
                body = self.source[start : self.source.find("\n}\n", start)] if start >= 0 else ""
            else:
                body = self.class_body(scope)
                body = body[body.find("synthesizeHclAttributes()") :]
            self.hcl[scope] = {m[0]: (m[1] == "true", m[2]) for m in HCL_ATTRIBUTE.findall(body)}
        return self.hcl[scope]


class Package:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.types: dict[str, Any] = json.loads((root / ".jsii").read_text())["types"]
        self.modules: dict[str, Submodule] = {}

    def module(self, fqn: str) -> Submodule:
        """The JavaScript of the submodule a type lives in (big ones split structs into files)."""
        filename = self.types[fqn]["locationInModule"]["filename"]  # src/<submodule>/…
        folder = self.root / "lib" / filename.split("/")[1]
        key = str(folder)
        if key not in self.modules:
            files = sorted(folder.rglob("*.js"))
            if not files:
                raise SchemaError(f"{fqn}: no JavaScript in {folder}")
            self.modules[key] = Submodule("\n".join(f.read_text() for f in files))
        return self.modules[key]

    @staticmethod
    def short(fqn: str) -> str:
        return fqn.rsplit(".", 1)[-1]

    def value_type(self, jsii_type: dict[str, Any], module: Submodule) -> JsonType:
        """The cty type of a value (primitive, collection or struct) as Terraform writes it in JSON."""
        if "union" in jsii_type:
            options = [t for t in jsii_type["union"]["types"] if t.get("fqn") != "cdktf.IResolvable"]
            return self.value_type(options[0], module) if options else "dynamic"
        if "primitive" in jsii_type:
            return {"string": "string", "number": "number", "boolean": "bool"}.get(
                jsii_type["primitive"], "dynamic"
            )
        if "collection" in jsii_type:
            collection = jsii_type["collection"]
            kind = "map" if collection["kind"] == "map" else "list"
            return [kind, self.value_type(collection["elementtype"], module)]
        fqn = jsii_type.get("fqn", "")
        if fqn in self.types and self.types[fqn]["kind"] == "interface":  # a struct: an object
            props = self.struct_properties(fqn)
            return ["object", {self.snake(module, fqn, p): self.value_type(p["type"], module) for p in props}]
        return "dynamic"

    def struct_properties(self, fqn: str) -> list[dict[str, Any]]:
        return [p for p in self.types[fqn].get("properties", []) if p["name"] not in NOT_ATTRIBUTES]

    def snake(self, module: Submodule, owner_fqn: str, prop: dict[str, Any]) -> str:
        """The Terraform name of a struct or config property: its registry docs anchor."""
        remarks = prop.get("docs", {}).get("remarks", "") + prop.get("docs", {}).get("summary", "")
        anchor = re.search(r"#(\w+) \w+#", remarks)
        if anchor:
            return anchor.group(1)
        output_class = self.short(owner_fqn) + "OutputReference"
        names = module.snake_names(output_class) if f"\nclass {output_class} " in module.source else {}
        return names.get(prop["name"]) or re.sub(r"(?<!^)([A-Z])", r"_\1", prop["name"]).lower()

    def block(self, cls_fqn: str, config_fqn: str | None, hcl_scope: str) -> Block:
        """The schema block of a resource/data source/provider class or of a nested OutputReference."""
        module = self.module(cls_fqn)
        cls = self.types[cls_fqn]
        props = {p["name"]: p for p in cls.get("properties", []) if not p.get("static")}
        config = {p["name"]: p for p in self.struct_properties(config_fqn)} if config_fqn else {}
        names = module.snake_names(self.short(cls_fqn))
        hcl = module.hcl_attributes(hcl_scope)
        attributes: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for name, prop in props.items():
            if name in NOT_ATTRIBUTES or name.endswith("Input"):
                continue
            is_input = f"{name}Input" in props or name in config
            snake = names.get(name) or (
                self.snake(module, config_fqn or "", config[name]) if name in config else None
            )
            if snake is None:
                continue
            settings = config.get(name, props.get(f"{name}Input", prop))
            kind = prop["type"].get("fqn", "")
            nested = kind.endswith(("List", "OutputReference", "Map")) and kind in self.types
            struct = self.struct_of(settings["type"]) if is_input else None
            if not nested and struct is not None:  # providers take structs, not OutputReferences
                struct_fqn, single = struct
                required = not settings.get("optional", False) and name in config
                is_block, hcl_kind = hcl.get(snake, (True, "list"))
                inner = self.struct_block(struct_fqn, module)
                if is_block:
                    blocks[snake] = {
                        "nesting_mode": "list",
                        "block": inner,
                        **({"max_items": 1} if single else {}),
                    }
                else:
                    mode = "single" if single else {"set": "set", "map": "map"}.get(hcl_kind, "list")
                    attributes[snake] = {
                        "nested_type": {"attributes": inner["attributes"], "nesting_mode": mode},
                        ("required" if required else "optional"): True,
                    }
                continue
            if not nested:
                value: JsonType = self.value_type(settings["type"] if is_input else prop["type"], module)
                if (
                    isinstance(value, list)
                    and value[0] == "list"
                    and (name in module.sets[self.short(cls_fqn)] or hcl.get(snake, (False, ""))[1] == "set")
                ):
                    value = ["set", value[1]]
                attributes[snake] = self.attribute(
                    value, is_input, not settings.get("optional", False) and name in config
                )
                continue
            element_class = re.sub(r"(List|Map)$", "OutputReference", kind)
            struct_fqn = re.sub(r"OutputReference$", "", element_class)
            single = kind.endswith("OutputReference")
            is_block, hcl_kind = hcl.get(snake, (True, "list"))
            if not is_input or struct_fqn not in self.types:
                inner = self.block(element_class, None, "") if element_class in self.types else {}
                object_type: JsonType = ["object", self.object_attributes(inner)]
                attributes[snake] = self.attribute(["list", object_type], False, False)
                continue
            to_hcl = self.short(struct_fqn)[0].lower() + self.short(struct_fqn)[1:] + "ToHclTerraform"
            inner = self.block(element_class, struct_fqn, to_hcl)
            required = not settings.get("optional", False) and name in config
            if is_block:
                nested_block: dict[str, Any] = {
                    "nesting_mode": "set" if hcl_kind == "set" else "list",
                    "block": inner,
                }
                if single:
                    nested_block["max_items"] = 1
                if required:
                    nested_block["min_items"] = 1
                blocks[snake] = nested_block
            else:
                # A nested attribute (plugin framework): `name = { … }`, each inner attribute
                # optional or required on its own (protocol 6's nested_type).
                mode = "single" if single else {"set": "set", "map": "map"}.get(hcl_kind, "list")
                nested_attribute: dict[str, Any] = {
                    "nested_type": {"attributes": inner["attributes"], "nesting_mode": mode}
                }
                nested_attribute["required" if required else "optional"] = True
                attributes[snake] = nested_attribute
        result: Block = {"attributes": attributes}
        if blocks:
            result["block_types"] = blocks
        return result

    def struct_of(self, jsii_type: dict[str, Any]) -> tuple[str, bool] | None:
        """(struct fqn, single) when a config property takes a struct or a list of them."""
        if "union" in jsii_type:
            options = [t for t in jsii_type["union"]["types"] if t.get("fqn") != "cdktf.IResolvable"]
            return self.struct_of(options[0]) if options else None
        if "collection" in jsii_type and jsii_type["collection"]["kind"] == "array":
            inner = self.struct_of(jsii_type["collection"]["elementtype"])
            return (inner[0], False) if inner else None
        fqn = jsii_type.get("fqn", "")
        if fqn in self.types and self.types[fqn]["kind"] == "interface" and self.types[fqn].get("datatype"):
            return fqn, True
        return None

    def struct_block(self, struct_fqn: str, module: Submodule) -> Block:
        """A struct's own properties as a block (a provider's nested configuration)."""
        to_hcl = self.short(struct_fqn)[0].lower() + self.short(struct_fqn)[1:] + "ToHclTerraform"
        hcl = module.hcl_attributes(to_hcl)
        attributes: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for prop in self.struct_properties(struct_fqn):
            snake = self.snake(module, struct_fqn, prop)
            required = not prop.get("optional", False)
            struct = self.struct_of(prop["type"])
            if struct is None:
                attributes[snake] = self.attribute(self.value_type(prop["type"], module), True, required)
                continue
            inner = self.struct_block(struct[0], module)
            is_block, hcl_kind = hcl.get(snake, (True, "list"))
            if is_block:
                blocks[snake] = {
                    "nesting_mode": "list",
                    "block": inner,
                    **({"max_items": 1} if struct[1] else {}),
                }
            else:
                mode = "single" if struct[1] else {"set": "set", "map": "map"}.get(hcl_kind, "list")
                attributes[snake] = {
                    "nested_type": {"attributes": inner["attributes"], "nesting_mode": mode},
                    ("required" if required else "optional"): True,
                }
        return {"attributes": attributes, **({"block_types": blocks} if blocks else {})}

    @staticmethod
    def attribute(value: JsonType, is_input: bool, required: bool) -> dict[str, Any]:
        if not is_input:
            return {"type": value, "computed": True}
        return {"type": value, "required": True} if required else {"type": value, "optional": True}

    @staticmethod
    def object_attributes(block: Block) -> dict[str, JsonType]:
        found: dict[str, JsonType] = {}
        for name, attribute in block.get("attributes", {}).items():
            if "nested_type" in attribute:
                inner: JsonType = ["object", Package.object_attributes(attribute["nested_type"])]
                mode = attribute["nested_type"]["nesting_mode"]
                found[name] = inner if mode == "single" else [mode, inner]
            else:
                found[name] = attribute["type"]
        for name, nested in block.get("block_types", {}).items():
            found[name] = ["list", ["object", Package.object_attributes(nested["block"])]]
        return found

    @staticmethod
    def has_dynamic(node: Any) -> bool:
        if isinstance(node, dict):
            return any(Package.has_dynamic(v) for v in node.values())
        if isinstance(node, list):
            return any(Package.has_dynamic(v) for v in node)
        return bool(node == "dynamic")

    @staticmethod
    def without_untyped(block: Block) -> None:
        """Leave out what a package types only as JSON (any): deep recursive structures such as
        WAF rule statements. Neither the sets that would hold them nor OpenTofu's mocks accept
        an untyped value, so a module that sets one fails validate here (none does: the edge
        module writes its WAF rules as rule_json)."""
        for nested in block.get("block_types", {}).values():
            Package.without_untyped(nested["block"])
        for name in [n for n, a in block.get("attributes", {}).items() if Package.has_dynamic(a)]:
            del block["attributes"][name]

    def schema(self) -> dict[str, Any]:
        resources: dict[str, Any] = {}
        data_sources: dict[str, Any] = {}
        provider: Block | None = None
        for fqn, kind in self.types.items():
            base = kind.get("base")
            if kind["kind"] != "class" or base not in (
                "cdktf.TerraformResource",
                "cdktf.TerraformDataSource",
                "cdktf.TerraformProvider",
            ):
                continue
            module = self.module(fqn)
            config = fqn + "Config"
            block = self.block(fqn, config if config in self.types else None, self.short(fqn))
            self.without_untyped(block)
            if base == "cdktf.TerraformProvider":
                block["attributes"].pop("alias", None)
                provider = block
                continue
            static = dict(STATIC_TYPE.findall(module.source))
            type_name = static.get(self.short(fqn))
            if type_name is None:
                raise SchemaError(f"{fqn}: no tfResourceType in its JavaScript")
            block["attributes"].pop("count", None)
            # A package cannot say which arguments the provider also computes. A data source
            # echoes its arguments back, and every AWS resource reports its region and id.
            for attribute_name, attribute in block["attributes"].items():
                if attribute.get("optional") and (
                    base == "cdktf.TerraformDataSource" or attribute_name in ("id", "region")
                ):
                    attribute["computed"] = True
            (resources if base == "cdktf.TerraformResource" else data_sources)[type_name] = {
                "version": 0,
                "block": block,
            }
        if provider is None:
            raise SchemaError(f"{self.root}: no provider class")
        return {
            "provider": {"version": 0, "block": provider},
            "resource_schemas": dict(sorted(resources.items())),
            "data_source_schemas": dict(sorted(data_sources.items())),
        }


def provider_version(root: Path) -> str:
    found = re.search(r"providerVersion: '([^']+)'", (root / "lib" / "provider" / "index.js").read_text())
    if not found:
        raise SchemaError(f"{root}: no providerVersion in lib/provider/index.js")
    return found.group(1)


# The mirror's provider "package": this launcher and schema.json. Both are fixed text, so the
# package's h1: hash in the committed lock files does not change with the Go toolchain that
# built the server (.cache/tools/bin, seven levels above the package directory).
LAUNCHER = """#!/bin/sh
# Serves the schema beside this file (scripts/terraform/provider_schema.py, ADR 0901).
here=$(dirname "$(readlink -f "$0")")
exec "$here/../../../../../../../tools/bin/terraform-schema-provider" "$here/schema.json"
"""
REGISTRY_HOST = "registry.opentofu.org"


def platform() -> str:
    import platform as host

    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(host.machine(), host.machine())
    return f"{host.system().lower()}_{machine}"


def build_mirror(packages: Path, mirror: Path) -> list[str]:
    """One mirror package per @cdktf/provider-* under ``packages`` (node_modules layout)."""
    built = []
    for package in sorted((packages / "@cdktf").glob("provider-*")):
        name = package.name.removeprefix("provider-")
        version = provider_version(package)
        target = mirror / REGISTRY_HOST / "hashicorp" / name / version / platform()
        # Outside the package directory: every file in it counts in the lock files' hash.
        stamp = mirror.parent / "stamps" / f"{name}-{version}"
        source = (package / ".integrity").read_text() + hashlib.sha256(
            Path(__file__).read_bytes()
        ).hexdigest()
        if stamp.is_file() and stamp.read_text() == source:
            continue
        document = {"provider_version": version, **Package(package).schema()}
        target.mkdir(parents=True, exist_ok=True)
        (target / "schema.json").write_text(json.dumps(document, sort_keys=True, separators=(",", ":")))
        launcher = target / f"terraform-provider-{name}_v{version}"
        launcher.write_text(LAUNCHER)
        launcher.chmod(0o755)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(source)
        built.append(f"{name} {version}")
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", type=Path, help="node_modules holding the @cdktf/provider-* packages")
    parser.add_argument("mirror", type=Path, help="the filesystem mirror to write")
    args = parser.parse_args()
    try:
        built = build_mirror(args.packages, args.mirror)
    except (SchemaError, OSError, KeyError, ValueError) as exc:
        sys.exit(f"provider schema: {exc}")
    print(f"provider schema: {', '.join(built) if built else 'mirror up to date'} in {args.mirror}")


if __name__ == "__main__":
    main()
