// Checks Grafana dashboards with the field's own definitions:
//  - the JSON schema derived (ts-json-schema-generator) from @grafana/schema's Dashboard type,
//    validated with Ajv;
//  - every LogQL expression (targets on a Loki datasource) parsed with @grafana/lezer-logql.
// Usage: node check-dashboards.mjs DASHBOARD.json...   Exit 1, naming file and place, on any error.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { createGenerator } from "ts-json-schema-generator";
import Ajv from "ajv";
import { parser } from "@grafana/lezer-logql";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const typesPath = join(
  dirname(require.resolve("@grafana/schema/package.json")),
  "dist/types/raw/dashboard/x/types.gen.d.ts",
);

export function dashboardSchema() {
  return createGenerator({ path: typesPath, type: "Dashboard", skipTypeCheck: true }).createSchema("Dashboard");
}

export function logqlErrors(expr) {
  const errors = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at offset ${node.from}: ${JSON.stringify(expr.slice(node.from, node.from + 20))}`);
    },
  });
  return errors;
}

function* panels(dashboard) {
  for (const panel of dashboard.panels ?? []) {
    yield panel;
    yield* panel.panels ?? [];
  }
}

const validate = new Ajv({ allErrors: true, strict: false }).compile(dashboardSchema());
let failed = 0;
for (const file of process.argv.slice(2)) {
  const dashboard = JSON.parse(readFileSync(file, "utf8"));
  const problems = [];
  if (!validate(dashboard)) {
    for (const e of validate.errors) problems.push(`schema: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  }
  let logql = 0;
  for (const panel of panels(dashboard)) {
    for (const target of panel.targets ?? []) {
      const type = target.datasource?.type ?? panel.datasource?.type;
      if (type !== "loki") continue;
      logql += 1;
      for (const e of logqlErrors(target.expr ?? "")) problems.push(`LogQL in panel ${JSON.stringify(panel.title)}: ${e}`);
    }
  }
  if (problems.length) {
    failed += 1;
    console.log(`${file}: FAILED\n  ${problems.join("\n  ")}`);
  } else {
    console.log(`${file}: ok (schema, ${logql} LogQL expressions)`);
  }
}
process.exit(failed ? 1 : 0);
