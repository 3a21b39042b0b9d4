import type { ObjectStoreCapabilities } from "../ports/object-store.js";
import type { VaultSettings } from "../vault/vault-settings.js";
import { preflightFinding, type PreflightFinding } from "./findings.js";

/**
 * Compares what the vault's settings promise of its vault store with what the store declares: a
 * `GeoRedundant` VaultStore storage setting needs a store with a readable paired-region copy
 * (`capabilities.secondaryRead`), and immutability (`Unlocked` or `Locked`) a store that can make
 * objects immutable (`capabilities.immutability`). Each gap is a Warning: the vault still keeps its
 * own rules (it refuses early deletions itself), but the store does not back them.
 */
export function checkVaultStoreSettings(capabilities: ObjectStoreCapabilities, settings: VaultSettings): PreflightFinding[] {
  const findings: PreflightFinding[] = [];
  const redundancy = settings.storageSettings.find((setting) => setting.datastoreType === "VaultStore")?.type;
  if (redundancy === "GeoRedundant" && !capabilities.secondaryRead) {
    findings.push(preflightFinding("StoreRedundancyMismatch", "vaultStore", "The vault's VaultStore storage setting is GeoRedundant, but the vault store keeps no readable copy in a paired region (capabilities.secondaryRead is false)."));
  }
  const immutability = settings.securitySettings.immutabilitySettings.state;
  if (immutability !== "Disabled" && !capabilities.immutability) {
    findings.push(preflightFinding("StoreImmutabilityMissing", "vaultStore", `The vault's immutability is ${immutability}, but the vault store cannot make objects immutable (capabilities.immutability is false).`));
  }
  return findings;
}
