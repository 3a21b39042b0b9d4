export * from "./azurite.js";
export * from "./throttling-proxy.js";
