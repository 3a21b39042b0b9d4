export * from "./azurite.js";
