/**
 * Kubernetes' validation rules for the names selection deals with: label keys and values,
 * namespace names (RFC 1123 labels) and object names (RFC 1123 subdomains).
 * Each check returns `undefined` for a valid name, or a sentence saying what is wrong.
 */

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Longest name part of a label key, and longest label value. */
export const LABEL_NAME_MAX_LENGTH = 63;
/** Longest RFC 1123 label, such as a namespace name. */
export const DNS1123_LABEL_MAX_LENGTH = 63;
/** Longest RFC 1123 subdomain, such as a label key prefix or most object names. */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

const LABEL_CHARS = "alphanumeric characters, '-', '_' or '.', beginning and ending with an alphanumeric character";

/**
 * Checks a label key: an optional prefix (an RFC 1123 subdomain of at most 253 characters) and
 * `/`, then a name of at most 63 characters of [A-Za-z0-9_.-] beginning and ending alphanumeric.
 */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix === "") return `label key "${key}" has an empty prefix before '/'`;
    if (name.includes("/")) return `label key "${key}" has more than one '/'`;
    const problem = dns1123SubdomainProblem(prefix);
    if (problem !== undefined) return `label key "${key}" has an invalid prefix: ${problem}`;
  }
  if (name === "") return `label key "${key}" has an empty name`;
  if (name.length > LABEL_NAME_MAX_LENGTH) return `label key "${key}" has a name longer than ${LABEL_NAME_MAX_LENGTH} characters`;
  if (!LABEL_NAME.test(name)) return `label key "${key}" must consist of ${LABEL_CHARS}`;
  return undefined;
}

/** Checks a label value: empty, or at most 63 characters of [A-Za-z0-9_.-] beginning and ending alphanumeric. */
export function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > LABEL_NAME_MAX_LENGTH) return `label value "${value}" is longer than ${LABEL_NAME_MAX_LENGTH} characters`;
  if (!LABEL_NAME.test(value)) return `label value "${value}" must be empty or consist of ${LABEL_CHARS}`;
  return undefined;
}

/** Checks an RFC 1123 label (a namespace name): at most 63 characters of [a-z0-9-], beginning and ending alphanumeric. */
export function dns1123LabelProblem(name: string): string | undefined {
  if (name === "") return "must not be empty";
  if (name.length > DNS1123_LABEL_MAX_LENGTH) return `"${name}" is longer than ${DNS1123_LABEL_MAX_LENGTH} characters`;
  if (!DNS1123_LABEL.test(name)) {
    return `"${name}" must consist of lower case alphanumeric characters or '-', beginning and ending with an alphanumeric character (RFC 1123 label)`;
  }
  return undefined;
}

/** Checks an RFC 1123 subdomain: at most 253 characters, dot-separated RFC 1123 labels. */
export function dns1123SubdomainProblem(name: string): string | undefined {
  if (name === "") return "must not be empty";
  if (name.length > DNS1123_SUBDOMAIN_MAX_LENGTH) return `"${name}" is longer than ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`;
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return `"${name}" must consist of lower case alphanumeric characters, '-' or '.', beginning and ending with an alphanumeric character (RFC 1123 subdomain)`;
  }
  return undefined;
}
