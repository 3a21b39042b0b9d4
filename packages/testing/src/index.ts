export * from "./apiserver/index.js";
export * from "./azure/index.js";
export * from "./conformance/index.js";
export * from "./faults/index.js";
export * from "./fixtures/index.js";
export * from "./manual-clock.js";
export * from "./tls/self-signed-certificate.js";
