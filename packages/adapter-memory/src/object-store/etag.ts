/** True when two ETags name the same version, whether either is quoted or weak (`W/"..."`) or not. */
export function sameEtag(a: string, b: string): boolean {
  return bareEtag(a) === bareEtag(b);
}

function bareEtag(etag: string): string {
  const strong = etag.startsWith("W/") ? etag.slice(2) : etag;
  return strong.length >= 2 && strong.startsWith('"') && strong.endsWith('"') ? strong.slice(1, -1) : strong;
}
