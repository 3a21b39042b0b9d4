export * from "./azurite.js";
export * from "./throttling-proxy.js";
export * from "./local-arm-server.js";
export * from "./page-blob-rest.js";
