/**
 * Azure's region pairs: each region and the region its geo-redundant data is copied to, which a
 * cross-region restore restores in. Most pairs go both ways; a few regions pair with a region that
 * pairs elsewhere (Brazil South with South Central US, West US 3 with East US, West India with
 * South India).
 */
export const AZURE_REGION_PAIRS: Readonly<Record<string, string>> = Object.freeze({
  ...both("eastus", "westus"),
  ...both("eastus2", "centralus"),
  ...both("northcentralus", "southcentralus"),
  ...both("westus2", "westcentralus"),
  westus3: "eastus",
  ...both("canadacentral", "canadaeast"),
  brazilsouth: "southcentralus",
  ...both("northeurope", "westeurope"),
  ...both("uksouth", "ukwest"),
  ...both("francecentral", "francesouth"),
  ...both("germanywestcentral", "germanynorth"),
  ...both("norwayeast", "norwaywest"),
  ...both("switzerlandnorth", "switzerlandwest"),
  ...both("swedencentral", "swedensouth"),
  ...both("eastasia", "southeastasia"),
  ...both("japaneast", "japanwest"),
  ...both("koreacentral", "koreasouth"),
  ...both("australiaeast", "australiasoutheast"),
  ...both("australiacentral", "australiacentral2"),
  ...both("centralindia", "southindia"),
  westindia: "southindia",
  ...both("southafricanorth", "southafricawest"),
  ...both("uaenorth", "uaecentral"),
});

function both(a: string, b: string): Record<string, string> {
  return { [a]: b, [b]: a };
}

/** The paired region of an Azure region (any case, spaces ignored: `West Europe`); `undefined` when unknown. */
export function pairedRegionOf(region: string): string | undefined {
  return AZURE_REGION_PAIRS[normalRegion(region)];
}

/** A region name as Azure writes it in ARM: lower case, no spaces. */
export function normalRegion(region: string): string {
  return region.toLowerCase().replace(/\s+/g, "");
}
