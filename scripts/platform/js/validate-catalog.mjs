// Validates Backstage catalog files with Backstage's own model (@backstage/catalog-model), the
// way the catalog backend does on ingestion (placeholders substituted, then the entity policies
// and the kind validators), then checks what ingestion would only report later: every relation
// target exists in the files, an OpenAPI definition parses and has paths, and a TechDocs `dir:`
// annotation points to a folder with mkdocs.yml.
//
//   node validate-catalog.mjs catalog-info.yaml [more.yaml ...]
//
// Prints one line per entity ("kind:namespace/name") and exits 0, or prints every problem
// (file, entity, what) and exits 1.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const model = require("@backstage/catalog-model");
const YAML = require("yaml");

const policies = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);
const kindValidators = [
  model.apiEntityV1alpha1Validator,
  model.componentEntityV1alpha1Validator,
  model.domainEntityV1alpha1Validator,
  model.groupEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator,
  model.resourceEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator,
  model.userEntityV1alpha1Validator,
];
// spec field -> the kind a bare name in it refers to (Backstage's defaults)
const RELATIONS = {
  owner: "group", system: "system", domain: "domain", parent: "group", subcomponentOf: "component",
  providesApis: "api", consumesApis: "api", dependsOn: "component", dependencyOf: "component",
  children: "group", members: "user", memberOf: "group",
};

// Backstage's PlaceholderProcessor runs before validation: {$text: file} becomes the file's text,
// {$json|$yaml: file} its parsed content, relative to the catalog file.
function substitute(value, base) {
  if (Array.isArray(value)) return value.map((item) => substitute(item, base));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && ["$text", "$json", "$yaml"].includes(keys[0])) {
    const target = path.resolve(base, String(value[keys[0]]));
    if (!fs.existsSync(target)) throw new Error(`${keys[0]} ${value[keys[0]]} does not exist`);
    const text = fs.readFileSync(target, "utf8");
    return keys[0] === "$text" ? text : YAML.parse(text);
  }
  return Object.fromEntries(keys.map((key) => [key, substitute(value[key], base)]));
}

const problems = [];
const resolved = [];
for (const file of process.argv.slice(2)) {
  let docs;
  try {
    docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  } catch (error) {
    problems.push(`${file}: cannot read: ${error.message}`);
    continue;
  }
  for (const [index, doc] of docs.entries()) {
    const where = `${file} document ${index + 1}`;
    if (doc.errors.length) {
      problems.push(`${where}: YAML: ${doc.errors[0].message}`);
      continue;
    }
    let raw = doc.toJS();
    if (raw === null) continue;
    try {
      raw = substitute(raw, path.dirname(file));
      const entity = await policies.enforce(raw);
      if (!entity) throw new Error("refused by the entity policies");
      let claimed = false;
      for (const validator of kindValidators) claimed = (await validator.check(entity)) || claimed;
      if (!claimed) throw new Error(`no validator for kind ${entity.kind} (${entity.apiVersion})`);
      resolved.push({ entity, file, where });
    } catch (error) {
      problems.push(`${where} (${raw?.kind}:${raw?.metadata?.name}): ${error.message}`);
    }
  }
}

const refOf = (entity) =>
  `${entity.kind.toLowerCase()}:${entity.metadata.namespace ?? "default"}/${entity.metadata.name}`;
const known = new Set(resolved.map(({ entity }) => refOf(entity)));

for (const { entity, file, where } of resolved) {
  const name = refOf(entity);
  const spec = entity.spec ?? {};
  for (const [field, defaultKind] of Object.entries(RELATIONS)) {
    const value = spec[field];
    if (value === undefined) continue;
    for (const target of Array.isArray(value) ? value : [value]) {
      let ref;
      try {
        ref = model.parseEntityRef(target, { defaultKind, defaultNamespace: entity.metadata.namespace ?? "default" });
      } catch (error) {
        problems.push(`${where} (${name}): spec.${field} ${JSON.stringify(target)}: ${error.message}`);
        continue;
      }
      const key = `${ref.kind.toLowerCase()}:${ref.namespace}/${ref.name}`;
      if (!known.has(key)) problems.push(`${where} (${name}): spec.${field} refers to ${key}, which no file defines`);
    }
  }
  const base = path.dirname(file);
  if (entity.kind === "API" && spec.type === "openapi") {
    try {
      const parsed = YAML.parse(spec.definition);
      if (!parsed?.openapi || !parsed?.paths) throw new Error("no 'openapi' version or no 'paths'");
    } catch (error) {
      problems.push(`${where} (${name}): spec.definition is not an OpenAPI document: ${error.message}`);
    }
  }
  const techdocs = entity.metadata.annotations?.["backstage.io/techdocs-ref"];
  if (techdocs !== undefined) {
    const dir = techdocs.startsWith("dir:") ? path.resolve(base, techdocs.slice(4)) : null;
    if (!dir || !fs.existsSync(path.join(dir, "mkdocs.yml"))) {
      problems.push(`${where} (${name}): backstage.io/techdocs-ref ${techdocs} has no mkdocs.yml`);
    }
  }
}

if (problems.length) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
for (const { entity } of resolved) console.log(refOf(entity));
