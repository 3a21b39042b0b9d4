import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { KBackupError, invalidArgument } from "@kbackup/core";
import { PageBlobRest, type BlobAccount } from "./page-blob-rest.js";
import { selfSignedCertificate } from "../tls/self-signed-certificate.js";

const GiB = 1024 * 1024 * 1024;
type Kind = "disks" | "snapshots";

/** Options of {@link startLocalArmServer}. */
export interface LocalArmServerOptions {
  /** The blob account (Azurite's) that holds the bytes of disks and snapshots as page blobs. */
  blob: BlobAccount;
  /** The container for those page blobs; created when missing. Default `arm-managed-disks`. */
  container?: string;
  /** The bearer token requests must carry. Default a random one; read it from `token`. */
  token?: string;
  /** How many status polls a long-running operation answers `InProgress` before `Succeeded`. Default 1. */
  pollsUntilDone?: number;
  /** The region of disks made by `createDisk` when none is given. Default `westeurope`. */
  location?: string;
}

/** What `createDisk` makes: a managed disk holding `bytes` (zeros past them). */
export interface LocalDiskSpec {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** A multiple of 512. */
  sizeInBytes: number;
  bytes?: Uint8Array;
  location?: string;
  /** The availability zone, such as "1". */
  zone?: string;
}

/** The access token getter the ARM client signs in with: a `TokenCredential` of `@azure/core-auth`. */
export interface StaticTokenCredential {
  /** The server's token, whatever the scopes, valid for an hour from the call. */
  getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }>;
}

/** A running local Azure Resource Manager endpoint for Microsoft.Compute disks and snapshots. */
export interface LocalArmServer {
  /** `https://127.0.0.1:<port>`: the client's `endpoint`. */
  readonly url: string;
  /** The server's self-signed certificate, PEM: the client's trusted CA (`tlsOptions: { ca }`). */
  readonly ca: string;
  /** The bearer token requests must carry. */
  readonly token: string;
  /** A credential that hands out `token`. */
  readonly credential: StaticTokenCredential;
  /** `METHOD /path` of every request served, in order. */
  readonly requests: readonly string[];
  /** Makes a managed disk directly (no HTTP); returns its ARM id. */
  createDisk(spec: LocalDiskSpec): Promise<string>;
  /** Writes `bytes` at `offset` into the disk with ARM id `diskId`. */
  writeDisk(diskId: string, offset: number, bytes: Uint8Array): Promise<void>;
  /** The whole content of a disk or snapshot, by ARM id. `NotFound` if there is none. */
  readBytes(resourceId: string): Promise<Uint8Array>;
  /** The ARM JSON of a disk or snapshot, or undefined. */
  resource(resourceId: string): Record<string, unknown> | undefined;
  /** ARM ids of the snapshots whose read access is granted and not yet revoked. */
  readonly activeAccesses: readonly string[];
  /** Stops the server, dropping open connections; resolves once it is closed. */
  close(): Promise<void>;
}

interface StoredResource {
  id: string;
  kind: Kind;
  name: string;
  location: string;
  zones?: string[];
  tags?: Record<string, string>;
  sizeInBytes: number;
  creationData: Record<string, unknown>;
  incremental?: boolean;
  timeCreated: string;
  uniqueId: string;
  blob: string;
  /** The blob that a granted SAS reads, while access is granted. */
  exportBlob?: string;
}

interface Operation {
  pollsLeft: number;
  status: "InProgress" | "Succeeded" | "Failed";
  /** What the monitor URL (`Location`) answers once done. */
  result?: unknown;
  error?: { code: string; message: string };
}

const RESOURCE = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/(disks|snapshots)\/([^/]+)(?:\/(begingetaccess|endgetaccess))?$/i;
const OPERATION = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.compute\/locations\/([^/]+)\/operations\/([^/]+)$/i;

/**
 * Starts an HTTPS server on 127.0.0.1 that speaks the Microsoft.Compute REST API the way
 * `@azure/arm-compute` uses it for managed disks and snapshots: PUT, GET and DELETE of
 * `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/{disks|snapshots}/{name}`
 * (with `api-version`), long-running operations (202 with `Azure-AsyncOperation` and `Location`,
 * polled until `Succeeded`), and `beginGetAccess` / `endGetAccess` of snapshots, whose `accessSAS`
 * is a read SAS URL of a page blob in the given blob account. Disks and snapshots keep their bytes
 * in page blobs there: a snapshot copies its disk's blob, a disk made from a snapshot copies it back.
 * Requests without `Authorization: Bearer <token>` get 401.
 */
export async function startLocalArmServer(options: LocalArmServerOptions): Promise<LocalArmServer> {
  if (typeof options?.blob?.blobEndpoint !== "string") throw invalidArgument("options.blob", "must name the blob account (blobEndpoint, accountName, accountKey)");
  const rest = new PageBlobRest(options.blob);
  const container = options.container ?? "arm-managed-disks";
  const token = options.token ?? randomUUID();
  const pollsUntilDone = options.pollsUntilDone ?? 1;
  const defaultLocation = options.location ?? "westeurope";
  await rest.createContainer(container);

  const resources = new Map<string, StoredResource>();
  const operations = new Map<string, Operation>();
  const requests: string[] = [];
  const certificate = selfSignedCertificate();
  let origin = "";

  const idOf = (subscription: string, group: string, kind: Kind, name: string) =>
    `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Compute/${kind}/${name}`;
  const blobOf = (id: string) => id.toLowerCase().replace(/^\/subscriptions\//, "").replace(/\/providers\/microsoft\.compute\//, "/");

  const createDisk = async (spec: LocalDiskSpec): Promise<string> => {
    if (!Number.isSafeInteger(spec.sizeInBytes) || spec.sizeInBytes <= 0 || spec.sizeInBytes % 512 !== 0) {
      throw invalidArgument("spec.sizeInBytes", "must be a positive multiple of 512");
    }
    const id = idOf(spec.subscriptionId, spec.resourceGroup, "disks", spec.name);
    const stored: StoredResource = {
      id,
      kind: "disks",
      name: spec.name,
      location: spec.location ?? defaultLocation,
      ...(spec.zone ? { zones: [spec.zone] } : {}),
      sizeInBytes: spec.sizeInBytes,
      creationData: { createOption: "Empty" },
      timeCreated: new Date().toISOString(),
      uniqueId: randomUUID(),
      blob: blobOf(id),
    };
    await rest.createPageBlob(container, stored.blob, stored.sizeInBytes);
    if (spec.bytes && spec.bytes.length > 0) await rest.writePages(container, stored.blob, 0, padToPage(spec.bytes));
    resources.set(id.toLowerCase(), stored);
    return id;
  };

  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? "" : JSON.stringify(body);
    response.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-ms-request-id": randomUUID(), ...headers });
    response.end(text);
  };
  const armError = (response: ServerResponse, status: number, code: string, message: string) => json(response, status, { error: { code, message } });

  const present = (stored: StoredResource): Record<string, unknown> => ({
    id: stored.id,
    name: stored.name,
    type: `Microsoft.Compute/${stored.kind}`,
    location: stored.location,
    ...(stored.zones ? { zones: stored.zones } : {}),
    ...(stored.tags ? { tags: stored.tags } : {}),
    sku: { name: stored.kind === "disks" ? "Premium_LRS" : "Standard_ZRS", tier: stored.kind === "disks" ? "Premium" : "Standard" },
    properties: {
      creationData: stored.creationData,
      diskSizeGB: Math.ceil(stored.sizeInBytes / GiB),
      diskSizeBytes: stored.sizeInBytes,
      ...(stored.kind === "snapshots" ? { incremental: stored.incremental ?? false } : {}),
      provisioningState: "Succeeded",
      timeCreated: stored.timeCreated,
      uniqueId: stored.uniqueId,
      diskState: stored.exportBlob ? "ActiveSAS" : "Unattached",
    },
  });

  /** Answers 202 with the headers the SDK polls, for an operation whose work is already done. */
  const accepted = (response: ServerResponse, subscription: string, location: string, result: unknown) => {
    const id = randomUUID();
    operations.set(id, { pollsLeft: pollsUntilDone, status: "InProgress", result });
    const operationUrl = `${origin}/subscriptions/${subscription}/providers/Microsoft.Compute/locations/${location}/operations/${id}?api-version=2024-03-02`;
    json(response, 202, undefined, {
      "azure-asyncoperation": operationUrl,
      location: `${operationUrl}&monitor=true`,
      "retry-after": "0",
    });
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "https://127.0.0.1");
    requests.push(`${request.method} ${url.pathname}`);
    if (request.headers.authorization !== `Bearer ${token}`) {
      return armError(response, 401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or has a wrong bearer token.");
    }
    if (!url.searchParams.get("api-version")) return armError(response, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    const body = await readJson(request);

    const operationMatch = OPERATION.exec(url.pathname);
    if (operationMatch && request.method === "GET") {
      const operation = operations.get(operationMatch[3] ?? "");
      if (!operation) return armError(response, 404, "NotFound", "The operation was not found.");
      if (operation.status === "InProgress" && --operation.pollsLeft < 0) operation.status = "Succeeded";
      if (url.searchParams.get("monitor") === "true") {
        if (operation.status === "InProgress") return json(response, 202, undefined, { location: `${origin}${request.url}`, "retry-after": "0" });
        return json(response, 200, operation.result);
      }
      return json(response, 200, { name: operationMatch[3], status: operation.status, startTime: new Date().toISOString(), ...(operation.error ? { error: operation.error } : {}) }, operation.status === "InProgress" ? { "retry-after": "0" } : {});
    }

    const match = RESOURCE.exec(url.pathname);
    if (!match) return armError(response, 404, "InvalidResourceType", `No route for ${request.method} ${url.pathname}.`);
    const [, subscription = "", group = "", kindText = "", name = "", action] = match;
    const kind = kindText.toLowerCase() as Kind;
    const id = idOf(subscription, group, kind, name);
    const existing = resources.get(id.toLowerCase());

    if (action) {
      if (request.method !== "POST") return armError(response, 405, "MethodNotAllowed", `${action} takes POST.`);
      if (!existing) return armError(response, 404, "ResourceNotFound", `The Resource '${id.slice(1)}' was not found.`);
      if (action.toLowerCase() === "begingetaccess") {
        const seconds = Number((body as { durationInSeconds?: unknown } | undefined)?.durationInSeconds ?? 3600);
        if ((body as { access?: unknown } | undefined)?.access !== "Read") return armError(response, 400, "InvalidParameter", "Only Read access is served here.");
        existing.exportBlob ??= `exports/${blobOf(id)}-${randomUUID()}`;
        await rest.copy(container, existing.blob, existing.exportBlob);
        return accepted(response, subscription, existing.location, { accessSAS: rest.readUrl(container, existing.exportBlob, seconds) });
      }
      if (existing.exportBlob) await rest.delete(container, existing.exportBlob);
      delete existing.exportBlob;
      return accepted(response, subscription, existing.location, undefined);
    }

    if (request.method === "GET") {
      if (!existing) return armError(response, 404, "ResourceNotFound", `The Resource '${id.slice(1)}' under resource group '${group}' was not found.`);
      return json(response, 200, present(existing));
    }
    if (request.method === "DELETE") {
      if (!existing) return json(response, 204, undefined);
      resources.delete(id.toLowerCase());
      await rest.delete(container, existing.blob);
      if (existing.exportBlob) await rest.delete(container, existing.exportBlob);
      return accepted(response, subscription, existing.location, undefined);
    }
    if (request.method === "PUT") {
      const resource = (body ?? {}) as { location?: string; zones?: string[]; tags?: Record<string, string>; properties?: { creationData?: Record<string, unknown>; incremental?: boolean; diskSizeGB?: number } };
      if (typeof resource.location !== "string") return armError(response, 400, "LocationRequired", "The location property is required for this definition.");
      if (existing) {
        // Create-or-update: only tags change on an existing resource here.
        existing.tags = resource.tags ?? existing.tags;
        return accepted(response, subscription, existing.location, present(existing));
      }
      const creation = resource.properties?.creationData ?? {};
      const stored: StoredResource = {
        id,
        kind,
        name,
        location: resource.location,
        ...(kind === "disks" && resource.zones ? { zones: resource.zones } : {}),
        ...(resource.tags ? { tags: resource.tags } : {}),
        sizeInBytes: 0,
        creationData: creation,
        ...(kind === "snapshots" ? { incremental: resource.properties?.incremental === true } : {}),
        timeCreated: new Date().toISOString(),
        uniqueId: randomUUID(),
        blob: blobOf(id),
      };
      if (creation.createOption === "Copy") {
        const source = resources.get(String(creation.sourceResourceId ?? "").toLowerCase());
        if (!source) return armError(response, 404, "NotFound", `Source ${String(creation.sourceResourceId)} was not found.`);
        if (source.location.toLowerCase() !== stored.location.toLowerCase()) {
          return armError(response, 400, "InvalidParameter", `The source is in ${source.location}; a copy must be made in the same region.`);
        }
        // The copy is made before answering, so the snapshot holds the bytes as of this request.
        await rest.copy(container, source.blob, stored.blob);
        stored.sizeInBytes = source.sizeInBytes;
      } else if (creation.createOption === "Empty" && kind === "disks") {
        const size = Number(resource.properties?.diskSizeGB) * GiB;
        if (!(size > 0)) return armError(response, 400, "InvalidParameter", "diskSizeGB is required for an empty disk.");
        stored.sizeInBytes = size;
        await rest.createPageBlob(container, stored.blob, size);
      } else {
        return armError(response, 400, "InvalidParameter", `createOption ${String(creation.createOption)} is not served here.`);
      }
      resources.set(id.toLowerCase(), stored);
      return accepted(response, subscription, stored.location, present(stored));
    }
    return armError(response, 405, "MethodNotAllowed", `${request.method} is not served here.`);
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: certificate.cert, key: certificate.key }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) armError(response, 500, "InternalServerError", error instanceof Error ? error.message : String(error));
      else response.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const find = (resourceId: string) => {
    const stored = resources.get(resourceId.toLowerCase());
    if (!stored) throw new KBackupError("NotFound", `No disk or snapshot ${resourceId}.`);
    return stored;
  };

  return {
    url: origin,
    ca: certificate.cert,
    token,
    credential: { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) },
    requests,
    createDisk,
    writeDisk: async (diskId, offset, bytes) => {
      const stored = find(diskId);
      if (!Number.isSafeInteger(offset) || offset < 0 || offset + bytes.length > stored.sizeInBytes) throw invalidArgument("offset", "the bytes must lie within the disk");
      if (bytes.length === 0) return;
      // Pages are whole 512-byte units: read the pages the write touches, patch them, write them back.
      const start = Math.floor(offset / 512) * 512;
      const end = Math.ceil((offset + bytes.length) / 512) * 512;
      const pages = start === offset && end === offset + bytes.length ? bytes : await rest.read(container, stored.blob, start, end - start);
      if (pages !== bytes) pages.set(bytes, offset - start);
      await rest.writePages(container, stored.blob, start, pages);
    },
    readBytes: async (resourceId) => rest.read(container, find(resourceId).blob),
    resource: (resourceId) => {
      const stored = resources.get(resourceId.toLowerCase());
      return stored && present(stored);
    },
    get activeAccesses() {
      return [...resources.values()].filter((stored) => stored.exportBlob).map((stored) => stored.id);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function padToPage(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 512 === 0) return bytes;
  const padded = new Uint8Array(Math.ceil(bytes.length / 512) * 512);
  padded.set(bytes);
  return padded;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
