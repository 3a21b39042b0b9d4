export * from "./conformance/index.js";
export * from "./faults/index.js";
export * from "./fixtures/index.js";
