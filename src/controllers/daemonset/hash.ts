// The template hash that names ControllerRevisions (`<ds>-<hash>`) and labels daemon pods
// (`controller-revision-hash`). Upstream hashes a Go dump of the template; we hash its
// canonical (Go-encoded) JSON instead and keep the observable contract: deterministic, salted by
// status.collisionCount when that is set, a 32-bit FNV-1a value written in decimal with each
// digit mapped through the "safe" alphabet (so only the characters 4-9, b, c, d, f appear). Pure.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { goTemplate } from './revision-data.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Upstream's SafeEncodeString alphabet: no vowels, no 0/1/3, so no words and no look-alikes. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** 32-bit FNV-1a over `bytes`, continuing from `hash`. */
export function fnv1a32(bytes: Uint8Array, hash = FNV_OFFSET): number {
  let h = hash >>> 0;
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  return h;
}

/** Each character replaced by the alphabet letter at (its code mod 27), as upstream's SafeEncodeString. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * The hash of a pod template. A collisionCount (even 0) adds 8 bytes to the hashed data: the
 * count as a little-endian uint32 followed by four zero bytes, as upstream writes it.
 */
export function computeTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv1a32(new TextEncoder().encode(JSON.stringify(goTemplate(template))));
  if (collisionCount !== undefined && collisionCount !== null) {
    const salt = new Uint8Array(8);
    new DataView(salt.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a32(salt, h);
  }
  return safeEncode(String(h));
}
