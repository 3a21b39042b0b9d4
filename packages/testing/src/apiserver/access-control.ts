import type { IncomingMessage } from "node:http";
import { failure, StatusError } from "./kube-status.js";

/** What a bearer token may do: everything, or only read (get, list, watch). */
export type TokenRole = "admin" | "read-only";

/** Verbs that only read. */
const READ_VERBS = new Set(["get", "list", "watch"]);

/** Paths anyone may read without a token, as Kubernetes' `system:public-info-viewer` allows. */
const PUBLIC_PATHS = new Set(["/version", "/healthz", "/livez", "/readyz"]);

/** Who a request comes from. */
export interface Caller {
  /** The user name the server reports in its messages. */
  user: string;
  role: TokenRole;
}

/**
 * The caller a request's `Authorization: Bearer <token>` names, `undefined` for the public paths
 * without a token. Throws a 401 `StatusError` for a missing or unknown token elsewhere.
 */
export function authenticate(request: IncomingMessage, tokens: ReadonlyMap<string, TokenRole>, path: string): Caller | undefined {
  const header = request.headers.authorization ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  const role = match === null ? undefined : tokens.get((match[1] as string).trim());
  if (role !== undefined) return { user: role === "admin" ? "kbackup-admin" : "kbackup-reader", role };
  if (match === null && PUBLIC_PATHS.has(path)) return undefined;
  throw new StatusError(failure(401, "Unauthorized", "Unauthorized"));
}

/** Whether the role allows a verb. */
export function allows(role: TokenRole, verb: string): boolean {
  return role === "admin" || READ_VERBS.has(verb);
}

/**
 * Throws the 403 `StatusError` Kubernetes' RBAC answers with when the caller's role does not
 * allow `verb` on the resource.
 */
export function authorize(caller: Caller | undefined, verb: string, target: { group: string; resource: string; subresource?: string; namespace?: string; name?: string }): void {
  if (caller !== undefined && allows(caller.role, verb)) return;
  const resource = target.subresource === undefined ? target.resource : `${target.resource}/${target.subresource}`;
  const where = target.namespace === undefined ? "at the cluster scope" : `in the namespace "${target.namespace}"`;
  const user = caller?.user ?? "system:anonymous";
  throw new StatusError(
    failure(403, "Forbidden", `${target.resource}${target.name === undefined ? "" : ` "${target.name}"`} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${target.group}" ${where}`, {
      ...(target.name === undefined ? {} : { name: target.name }),
      ...(target.group === "" ? {} : { group: target.group }),
      kind: target.resource,
    }),
  );
}
