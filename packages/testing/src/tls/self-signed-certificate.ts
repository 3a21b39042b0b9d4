import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";

/** A certificate and its private key, both PEM. */
export interface SelfSignedCertificate {
  /** The certificate: give it to clients as their trusted CA (`tlsOptions: { ca }`, a kubeconfig's `certificate-authority-data`). */
  cert: string;
  key: string;
}

/**
 * A new self-signed ECDSA P-256 certificate for `127.0.0.1` and `localhost`, valid from an hour ago
 * for a year, marked as its own CA so that a client can trust it directly, with the key usages a
 * strict verifier (kubectl's) asks of a TLS server. Made with node:crypto alone, so that a test can
 * serve HTTPS on loopback without openssl; Node can sign but not write certificates, hence the few
 * DER encoders below.
 */
export function selfSignedCertificate(commonName = "kbackup test server"): SelfSignedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const ecdsaWithSha256 = sequence(oid("1.2.840.10045.4.3.2"));
  const name = sequence(set(sequence(oid("2.5.4.3"), tlv(0x0c, Buffer.from(commonName, "utf8")))));
  const now = Date.now();
  const serial = randomBytes(16);
  // Positive, and without a leading zero byte, which DER forbids in an INTEGER.
  serial[0] = ((serial[0] as number) & 0x7f) | 0x40;
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSha256,
    name,
    sequence(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 365 * 86400_000))),
    name,
    spki,
    tlv(
      0xa3,
      sequence(
        extension("2.5.29.19", true, sequence(tlv(0x01, Buffer.from([0xff])))),
        extension("2.5.29.15", true, tlv(0x03, Buffer.from([0x02, 0x84]))),
        extension("2.5.29.37", false, sequence(oid("1.3.6.1.5.5.7.3.1"))),
        extension("2.5.29.14", false, tlv(0x04, createHash("sha1").update(spki).digest())),
        extension("2.5.29.17", false, sequence(tlv(0x82, Buffer.from("localhost", "ascii")), tlv(0x87, Buffer.from([127, 0, 0, 1])))),
      ),
    ),
  );
  const signature = sign("sha256", tbs, privateKey);
  const certificate = sequence(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return {
    cert: new X509Certificate(certificate).toString(),
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

// DER: tag, length, content.
function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

function sequence(...members: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(members));
}

function set(...members: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(members));
}

/** A non-negative INTEGER from its big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  return tlv(0x02, (bytes[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const bytes = [40 * (arcs[0] as number) + (arcs[1] as number)];
  for (const arc of arcs.slice(2)) {
    const chunk = [arc & 0x7f];
    for (let rest = arc >>> 7; rest > 0; rest >>>= 7) chunk.unshift(0x80 | (rest & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
  return tlv(0x17, Buffer.from(text, "ascii"));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}
