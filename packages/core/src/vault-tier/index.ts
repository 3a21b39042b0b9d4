export * from "./archive-verification.js";
export * from "./region-pairs.js";
export * from "./repository-vault-copier.js";
export * from "./restore-route.js";
export { STAGING_FOLDER, checkStaging, withStagedCopy, type StagedData, type StagingOutcome, type StagingRequest } from "./staged-restore.js";
