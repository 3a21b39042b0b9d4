import type { IncomingMessage, ServerResponse } from "node:http";
import { apiVersionOf, type ApiResource, type ClusterClient, type KubeObject, type PatchType, type ResourceRef } from "@kbackup/core";
import { authorize, type Caller } from "./access-control.js";
import type { ResourcePath } from "./api-path.js";
import type { CsiSnapshotController } from "./csi-snapshot-controller.js";
import { readJsonBody, sendJson } from "./http-io.js";
import { badRequest, failure, methodNotAllowed, pathNotFound, statusOf, success, StatusError } from "./kube-status.js";
import { tableOf, wantsTable } from "./table-view.js";
import { PolledWatch } from "./watch-stream.js";

/** What serving one resource request needs besides the request. */
export interface ResourceRequestContext {
  cluster: ClusterClient;
  controller: CsiSnapshotController;
  caller: Caller | undefined;
  watchPollIntervalInMs: number;
  /** Fires when the client goes away or the server stops. */
  signal: AbortSignal;
  /** Tells the server that the served types may have changed (a CRD was written). */
  typesChanged(): void;
  /** The highest resourceVersion the server has handed out, for list metadata. */
  resourceVersions: { highest: number };
}

const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  "application/merge-patch+json": "merge",
  "application/json-patch+json": "json",
  "application/strategic-merge-patch+json": "strategic",
};

/**
 * Serves a request on a resource URL: list (with `limit`, `continue`, `labelSelector`,
 * `fieldSelector`, or `watch=true`), get, create, replace (PUT), patch (merge, JSON and strategic
 * merge), delete, and the `status` subresource, through the cluster's port. Writes the answer,
 * a `Status` on failure.
 */
export async function serveResource(request: IncomingMessage, response: ServerResponse, url: URL, path: ResourcePath, served: ApiResource, context: ResourceRequestContext): Promise<void> {
  const method = request.method ?? "GET";
  const ref: ResourceRef = { group: path.group, version: path.version, resource: path.resource };
  const statusContext = { resource: path.resource, group: path.group, ...(path.name === undefined ? {} : { name: path.name }) };
  if (!served.namespaced && path.namespace !== undefined) throw pathNotFound();
  if (served.namespaced && path.name !== undefined && path.namespace === undefined) throw pathNotFound();
  if (path.subresource !== undefined && !(served.subresources ?? []).includes(path.subresource)) throw pathNotFound();
  if (path.subresource !== undefined && path.subresource !== "status") {
    throw path.subresource === "exec" ? badRequest("Upgrade request required") : methodNotAllowed(method);
  }
  const verb = verbOf(method, path, url);
  if (verb === "unsupported" || verb === "deletecollection") throw methodNotAllowed(method);
  authorize(context.caller, verb, { group: path.group, resource: path.resource, ...pick(path) });
  let patchType: PatchType | undefined;
  try {
    switch (verb) {
      case "list":
        return await list(response, url, ref, served, path, context, request.headers.accept);
      case "watch":
        return await watch(response, url, ref, path, context);
      case "get": {
        const object = await context.cluster.get(ref, path.name as string, namespaceOption(path));
        if (object === undefined) throw new StatusError(failure(404, "NotFound", `${groupResource(path)} "${path.name}" not found`, detailsOf(path)));
        noteVersion(context, object);
        return wantsTable(request.headers.accept) ? sendJson(response, 200, tableOf([object], { resourceVersion: object.metadata.resourceVersion }, new Date())) : sendJson(response, 200, object);
      }
      case "create":
        return await create(request, response, url, ref, served, path, context);
      case "update":
        return await replace(request, response, ref, served, path, context);
      case "patch": {
        const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
        patchType = PATCH_TYPES[contentType];
        if (patchType === undefined) {
          throw new StatusError(
            failure(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(", ")}`),
          );
        }
        rejectDryRun(url);
        const patch = await readJsonBody(request);
        const patched = await context.cluster.patch(ref, path.name as string, patch, {
          patchType,
          ...namespaceOption(path),
          ...(path.subresource === undefined ? {} : { subresource: path.subresource }),
          abortSignal: context.signal,
        });
        afterWrite(context, ref, patched);
        return sendJson(response, 200, patched);
      }
      default:
        return await remove(response, url, ref, path, context);
    }
  } catch (error) {
    if (error instanceof StatusError) throw error;
    throw new StatusError(statusOf(error, { ...statusContext, ...(patchType === undefined ? {} : { patchType }) }));
  }
}

function verbOf(method: string, path: ResourcePath, url: URL): string {
  const item = path.name !== undefined;
  switch (method) {
    case "GET":
      return item ? "get" : url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1" ? "watch" : "list";
    case "POST":
      return item ? "unsupported" : "create";
    case "PUT":
      return item ? "update" : "unsupported";
    case "PATCH":
      return item ? "patch" : "unsupported";
    case "DELETE":
      return item ? "delete" : "deletecollection";
    default:
      return "unsupported";
  }
}

async function list(response: ServerResponse, url: URL, ref: ResourceRef, served: ApiResource, path: ResourcePath, context: ResourceRequestContext, accept: string | undefined): Promise<void> {
  const query = url.searchParams;
  const limit = query.get("limit");
  const maxPageSize = limit === null || limit === "" || limit === "0" ? undefined : Number(limit);
  if (maxPageSize !== undefined && (!Number.isSafeInteger(maxPageSize) || maxPageSize < 0)) throw badRequest(`limit must be a whole number, got ${limit}`);
  const token = query.get("continue") ?? "";
  const pages = context.cluster.list(ref, { ...listOptions(path, query), abortSignal: context.signal }).byPage({
    ...(token === "" ? {} : { continuationToken: token }),
    ...(maxPageSize === undefined ? {} : { maxPageSize }),
  });
  const first = await pages.next();
  await pages.return?.();
  const page = first.done === true ? { items: [] } : first.value;
  for (const item of page.items) noteVersion(context, item);
  const metadata = { resourceVersion: String(context.resourceVersions.highest), ...(page.continuationToken === undefined ? {} : { continue: page.continuationToken }) };
  if (wantsTable(accept)) return sendJson(response, 200, tableOf(page.items, metadata, new Date()));
  sendJson(response, 200, { kind: `${served.kind}List`, apiVersion: apiVersionOf(ref), metadata, items: page.items });
}

async function watch(response: ServerResponse, url: URL, ref: ResourceRef, path: ResourcePath, context: ResourceRequestContext): Promise<void> {
  const query = url.searchParams;
  const resourceVersion = query.get("resourceVersion") ?? undefined;
  const { watch, initial } = await PolledWatch.start(context.cluster, ref, {
    list: listOptions(path, query),
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
    pollIntervalInMs: context.watchPollIntervalInMs,
  });
  const timeoutSeconds = Number(query.get("timeoutSeconds") ?? "0");
  const stop = new AbortController();
  const timer = timeoutSeconds > 0 ? setTimeout(() => stop.abort(), timeoutSeconds * 1000) : undefined;
  const signal = AbortSignal.any([stop.signal, context.signal]);
  response.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache" });
  response.flushHeaders();
  try {
    let events = initial;
    while (!signal.aborted) {
      for (const event of events) {
        noteVersion(context, event.object);
        response.write(`${JSON.stringify(event)}\n`);
      }
      events = await watch.next(signal);
    }
  } catch (error) {
    if (!signal.aborted) response.write(`${JSON.stringify({ type: "ERROR", object: statusOf(error) })}\n`);
  } finally {
    clearTimeout(timer);
    response.end();
  }
}

async function create(request: IncomingMessage, response: ServerResponse, url: URL, ref: ResourceRef, served: ApiResource, path: ResourcePath, context: ResourceRequestContext): Promise<void> {
  if (served.namespaced && path.namespace === undefined) throw pathNotFound();
  const body = await readJsonBody(request);
  const object = withTypeOf(requireObject(body), ref, served);
  const namespace = object.metadata.namespace;
  if (path.namespace !== undefined) {
    if (namespace !== undefined && namespace !== "" && namespace !== path.namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    object.metadata = { ...object.metadata, namespace: path.namespace };
  }
  const dryRun = url.searchParams.get("dryRun") === "All";
  const prepared = dryRun ? object : context.controller.prepareCreate(ref, object);
  const created = await context.cluster.create(ref, prepared, { dryRun, abortSignal: context.signal });
  if (!dryRun) {
    afterWrite(context, ref, created);
    await context.controller.afterCreate(ref, created);
  }
  sendJson(response, 201, created);
}

async function replace(request: IncomingMessage, response: ServerResponse, ref: ResourceRef, served: ApiResource, path: ResourcePath, context: ResourceRequestContext): Promise<void> {
  const object = withTypeOf(requireObject(await readJsonBody(request)), ref, served);
  if (object.metadata.name !== path.name) throw badRequest(`the name of the object (${String(object.metadata.name)}) does not match the name on the URL (${path.name})`);
  if (path.namespace !== undefined) {
    if (object.metadata.namespace !== undefined && object.metadata.namespace !== path.namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    object.metadata = { ...object.metadata, namespace: path.namespace };
  }
  let replaced: KubeObject;
  if (path.subresource === "status") {
    // The port has no status replace: check the version, then replace the status alone.
    const current = await context.cluster.get(ref, path.name as string, namespaceOption(path));
    if (current === undefined) throw new StatusError(failure(404, "NotFound", `${groupResource(path)} "${path.name}" not found`, detailsOf(path)));
    const version = object.metadata.resourceVersion;
    if (version !== undefined && version !== current.metadata.resourceVersion) {
      throw new StatusError(failure(409, "Conflict", `Operation cannot be fulfilled on ${groupResource(path)} "${path.name}": the object has been modified; please apply your changes to the latest version and try again`, detailsOf(path)));
    }
    const operation = object["status"] === undefined ? [{ op: "remove", path: "/status" }] : [{ op: "add", path: "/status", value: object["status"] }];
    replaced =
      object["status"] === undefined && current["status"] === undefined
        ? current
        : await context.cluster.patch(ref, path.name as string, operation, { patchType: "json", subresource: "status", ...namespaceOption(path), abortSignal: context.signal });
  } else {
    replaced = await context.cluster.replace(ref, object, { abortSignal: context.signal });
  }
  afterWrite(context, ref, replaced);
  sendJson(response, 200, replaced);
}

async function remove(response: ServerResponse, url: URL, ref: ResourceRef, path: ResourcePath, context: ResourceRequestContext): Promise<void> {
  rejectDryRun(url);
  const name = path.name as string;
  const before = await context.cluster.get(ref, name, namespaceOption(path));
  if (before === undefined || !(await context.cluster.delete(ref, name, { ...namespaceOption(path), abortSignal: context.signal }))) {
    throw new StatusError(failure(404, "NotFound", `${groupResource(path)} "${name}" not found`, detailsOf(path)));
  }
  const after = await context.cluster.get(ref, name, namespaceOption(path));
  await context.controller.afterDelete(ref, before);
  if (ref.group === "apiextensions.k8s.io") context.typesChanged();
  if (after !== undefined && after.metadata.uid === before.metadata.uid) {
    // Finalizers hold it: Kubernetes answers with the object, marked for deletion.
    noteVersion(context, after);
    return sendJson(response, 200, after);
  }
  sendJson(response, 200, success({ name, ...(path.group === "" ? {} : { group: path.group }), kind: path.resource, ...(before.metadata.uid === undefined ? {} : { uid: before.metadata.uid }) }));
}

function afterWrite(context: ResourceRequestContext, ref: ResourceRef, object: KubeObject): void {
  noteVersion(context, object);
  if (ref.group === "apiextensions.k8s.io") context.typesChanged();
}

function noteVersion(context: ResourceRequestContext, object: KubeObject): void {
  const version = Number(object.metadata?.resourceVersion);
  if (Number.isSafeInteger(version) && version > context.resourceVersions.highest) context.resourceVersions.highest = version;
}

function listOptions(path: ResourcePath, query: URLSearchParams): { namespace?: string; labelSelector?: string; fieldSelector?: string } {
  const labelSelector = query.get("labelSelector");
  const fieldSelector = query.get("fieldSelector");
  return {
    ...(path.namespace === undefined ? {} : { namespace: path.namespace }),
    ...(labelSelector === null || labelSelector === "" ? {} : { labelSelector }),
    ...(fieldSelector === null || fieldSelector === "" ? {} : { fieldSelector }),
  };
}

function namespaceOption(path: ResourcePath): { namespace?: string } {
  return path.namespace === undefined ? {} : { namespace: path.namespace };
}

function pick(path: ResourcePath): { namespace?: string; name?: string; subresource?: string } {
  return { ...namespaceOption(path), ...(path.name === undefined ? {} : { name: path.name }), ...(path.subresource === undefined ? {} : { subresource: path.subresource }) };
}

function groupResource(path: ResourcePath): string {
  return path.group === "" ? path.resource : `${path.resource}.${path.group}`;
}

function detailsOf(path: ResourcePath): { name?: string; group?: string; kind: string } {
  return { ...(path.name === undefined ? {} : { name: path.name }), ...(path.group === "" ? {} : { group: path.group }), kind: path.resource };
}

function requireObject(body: unknown): KubeObject {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the request body must be a Kubernetes object");
  const object = body as KubeObject;
  if (typeof object.metadata !== "object" || object.metadata === null) object.metadata = {};
  return object;
}

/** The object with the URL's apiVersion and kind where it names none, as the API server defaults them. */
function withTypeOf(object: KubeObject, ref: ResourceRef, served: ApiResource): KubeObject {
  return { ...object, apiVersion: object.apiVersion ?? apiVersionOf(ref), kind: object.kind ?? served.kind };
}

/** Server-side dry runs are served for create only, the one write the port can dry-run. */
function rejectDryRun(url: URL): void {
  if (url.searchParams.has("dryRun")) throw badRequest("dryRun is supported on create only by this server");
}
