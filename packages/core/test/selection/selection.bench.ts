import { bench, describe } from "vitest";
import { compileSelection, parseLabelSelector, type KubeObject, type Labels } from "@kbackup/core";
import { discovery, typeNamed } from "./discovery.js";

const selector = parseLabelSelector("app in (web,api),tier!=cache,!legacy,example.com/team");
const labels: Labels[] = [
  { app: "web", tier: "frontend", "example.com/team": "core" },
  { app: "db", tier: "backend" },
  { app: "api", tier: "cache", "example.com/team": "core" },
  {},
];
const secrets = typeNamed("secrets");
const selection = compileSelection(
  { includedNamespaces: ["app", "web"], excludedNamespaces: ["scratch"], includedResourceTypes: ["secrets", "deploy"], labelSelectors: ["app=web", "tier in (db,cache)"] },
  discovery,
);
const objects: KubeObject[] = labels.map((set, index) => ({ apiVersion: "v1", kind: "Secret", metadata: { name: `s${index}`, namespace: index % 2 ? "app" : "other", labels: set } }));

describe("selection", () => {
  bench("CompiledLabelSelector.matches, 4 requirements (4 calls)", () => {
    for (const set of labels) selector.matches(set);
  });
  bench("Selection.selectsObject (4 calls)", () => {
    for (const object of objects) selection.selectsObject(secrets, object);
  });
});
