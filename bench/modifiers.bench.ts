// Resource modifiers: 20 rules (globs, regular expressions, label selectors) over synthetic objects,
// of which 10% match; reports rule evaluations per second and peak memory.
//   node bench/modifiers.bench.ts          (needs the built @kbackup/core)
// Options by environment: OBJECTS (100000), ROUNDS (3).
import { applyResourceModifiers, parseResourceModifiers, type KubeObject } from "@kbackup/core";

const objectCount = Number(process.env.OBJECTS ?? 100_000);
const rounds = Number(process.env.ROUNDS ?? 3);

const types = [
  { groupResource: "pods", apiVersion: "v1", kind: "Pod" },
  { groupResource: "services", apiVersion: "v1", kind: "Service" },
  { groupResource: "configmaps", apiVersion: "v1", kind: "ConfigMap" },
  { groupResource: "persistentvolumeclaims", apiVersion: "v1", kind: "PersistentVolumeClaim" },
  { groupResource: "deployments.apps", apiVersion: "apps/v1", kind: "Deployment" },
  { groupResource: "statefulsets.apps", apiVersion: "apps/v1", kind: "StatefulSet" },
  { groupResource: "ingresses.networking.k8s.io", apiVersion: "networking.k8s.io/v1", kind: "Ingress" },
  { groupResource: "widgets.example.com", apiVersion: "example.com/v1", kind: "Widget" },
] as const;

// Every tenth object is a "gold" one: its name ends in -gold, it carries tier=gold and lives in a
// gold-* namespace. Each rule needs one of those marks, so exactly those objects match.
function makeObject(i: number): { object: KubeObject; groupResource: string } {
  const type = types[i % types.length]!;
  const gold = i % 10 === 0;
  const object: KubeObject = {
    apiVersion: type.apiVersion,
    kind: type.kind,
    metadata: {
      name: `${type.kind.toLowerCase()}-${i}${gold ? "-gold" : ""}`,
      namespace: gold ? `gold-${i % 7}` : `team-${i % 50}`,
      labels: { app: `app-${i % 20}`, tier: gold ? "gold" : "bronze", "app.kubernetes.io/part-of": `suite-${i % 3}` },
      annotations: { "example.com/owner": `owner-${i % 13}` },
    },
    spec: {
      replicas: 1 + (i % 3),
      storageClassName: "standard",
      template: { spec: { containers: [{ name: "main", image: `registry.example/app-${i % 20}:1.${i % 9}` }] } },
    },
  };
  return { object, groupResource: type.groupResource };
}

const replicas = `  patches:\n  - operation: replace\n    path: /spec/replicas\n    value: "0"\n`;
const relabel = `  mergePatches:\n  - patchData: '{"metadata": {"labels": {"restored": "true"}}}'\n`;
const registry = `  strategicPatches:\n  - patchData: |\n      spec: {template: {spec: {containers: [{name: main, image: mirror.example/app:1}]}}}\n`;
const rule = (conditions: string, patch: string) => `- conditions:\n${conditions.replace(/^/gm, "    ")}\n${patch}`;
const rulesText = [
  "version: v1",
  "resourceModifierRules:",
  rule("groupResource: deployments.apps\nresourceNameRegex: '-gold$'", replicas),
  rule("groupResource: '*.apps'\nlabelSelector: {matchLabels: {tier: gold}}", registry),
  rule("groupResource: pods\nnamespaces: ['gold-*']", relabel),
  rule("groupResource: '{pods,services}'\nresourceNameRegex: '^(pod|service)-[0-9]+-gold$'", relabel),
  rule("groupResource: '**'\nlabelSelector: {matchExpressions: [{key: tier, operator: In, values: [gold, platinum]}]}", relabel),
  rule("groupResource: persistentvolumeclaims\nnamespaces: ['gold-[0-3]', 'gold-[4-6]']", `  patches:\n  - operation: replace\n    path: /spec/storageClassName\n    value: premium\n`),
  rule("groupResource: '**.k8s.io'\nresourceNameRegex: 'gold'", relabel),
  rule("groupResource: '*'\nlabelSelector: {matchLabels: {tier: gold}, matchExpressions: [{key: app, operator: Exists}]}", relabel),
  rule("groupResource: configmaps\nresourceNameRegex: '(a+)+-gold$|-gold$'", relabel),
  rule("groupResource: statefulsets.apps\nnamespaces: ['gold-?']", replicas),
  rule("groupResource: '*.example.com'\nlabelSelector: {matchLabels: {tier: gold}}", relabel),
  rule("groupResource: services\nlabelSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [bronze]}]}", relabel),
  rule("groupResource: '**'\nresourceNameRegex: '^[a-z]+-[0-9]*0-gold$'", relabel),
  rule("groupResource: 'deployments.apps'\nnamespaces: ['gold-*']\nlabelSelector: {matchLabels: {tier: gold}}", registry),
  rule("groupResource: '{configmaps,persistentvolumeclaims}'\nnamespaces: ['gold-*']", relabel),
  rule("groupResource: 'ingresses.networking.k8s.io'\nlabelSelector: {matchLabels: {tier: gold}}", relabel),
  rule("groupResource: '**'\nnamespaces: ['gold-0', 'gold-1', 'gold-2']\nresourceNameRegex: '-gold$'", relabel),
  rule("groupResource: pods\nlabelSelector: {matchLabels: {tier: gold, 'app.kubernetes.io/part-of': suite-0}}", relabel),
  rule("groupResource: '*.*'\nresourceNameRegex: '(?i)-GOLD$'", relabel),
  rule("groupResource: '**'\nmatches: [{path: /metadata/labels/tier, value: '\"gold\"'}]", relabel),
].join("\n");

const modifiers = parseResourceModifiers(rulesText);
if (modifiers.rules.length !== 20) throw new Error(`expected 20 rules, got ${modifiers.rules.length}`);

const inputs = Array.from({ length: objectCount }, (_, i) => makeObject(i));

function pass(): { matched: number; applied: number; errors: number } {
  let matched = 0;
  let applied = 0;
  let errors = 0;
  for (const { object, groupResource } of inputs) {
    const result = applyResourceModifiers(modifiers, object, { groupResource });
    if (result.appliedRules.length > 0 || result.errors.length > 0) matched++;
    applied += result.appliedRules.length;
    errors += result.errors.length;
  }
  return { matched, applied, errors };
}

pass(); // warm-up: JIT and the glob caches
let best = Infinity;
let counts = { matched: 0, applied: 0, errors: 0 };
for (let round = 0; round < rounds; round++) {
  const start = performance.now();
  counts = pass();
  best = Math.min(best, (performance.now() - start) / 1000);
}
const evaluations = objectCount * modifiers.rules.length;
const figures = {
  objects: objectCount,
  rules: modifiers.rules.length,
  matchedPercent: (100 * counts.matched) / objectCount,
  rulesApplied: counts.applied,
  ruleErrors: counts.errors,
  seconds: best,
  ruleEvaluationsPerSecond: Math.round(evaluations / best),
  objectsPerSecond: Math.round(objectCount / best),
  peakRssInMb: process.resourceUsage().maxRSS / 1024,
};
console.log(`modifiers: ${Object.entries(figures).map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(2)}`).join(" ")}`);
