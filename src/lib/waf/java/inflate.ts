/**
 * Minimal bounded DEFLATE (after zlib's puff.c), for the Java detector (`../java.ts`): only the
 * first few output bytes of a gzip'd base64 value are produced, to look for the serialization
 * magic. Never throws (returns null).
 */

const LEN_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

interface Huffman {
  count: Uint16Array;
  symbol: Uint16Array;
}

function huffman(lengths: ArrayLike<number>, n: number): Huffman {
  const count = new Uint16Array(16);
  const symbol = new Uint16Array(n);
  for (let i = 0; i < n; i++) count[lengths[i]!]!++;
  const offs = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offs[len + 1] = offs[len]! + count[len]!;
  for (let i = 0; i < n; i++) if (lengths[i] !== 0) symbol[offs[lengths[i]!]!++] = i;
  return { count, symbol };
}

/** Inflates the raw DEFLATE stream at `start`; at most `want` bytes. Throws on bad or short input. */
function inflatePrefix(input: Uint8Array, start: number, want: number): number[] {
  const out: number[] = [];
  let pos = start;
  let bitBuf = 0;
  let bitCnt = 0;
  const bits = (need: number): number => {
    let val = bitBuf;
    while (bitCnt < need) {
      if (pos >= input.length) throw new RangeError("short");
      val |= input[pos++]! << bitCnt;
      bitCnt += 8;
    }
    bitBuf = val >>> need;
    bitCnt -= need;
    return val & ((1 << need) - 1);
  };
  const decode = (h: Huffman): number => {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= 15; len++) {
      code |= bits(1);
      const count = h.count[len]!;
      if (code - first < count) return h.symbol[index + (code - first)]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new RangeError("code");
  };
  for (let block = 0; block < 64 && out.length < want; block++) {
    const last = bits(1);
    const type = bits(2);
    if (type === 0) {
      bitBuf = 0;
      bitCnt = 0;
      if (pos + 4 > input.length) throw new RangeError("short");
      const len = input[pos]! | (input[pos + 1]! << 8);
      pos += 4;
      for (let i = 0; i < len && out.length < want; i++) {
        if (pos >= input.length) throw new RangeError("short");
        out.push(input[pos++]!);
      }
    } else if (type === 1 || type === 2) {
      let lit: Huffman;
      let dist: Huffman;
      if (type === 1) {
        const l = new Uint8Array(288);
        l.fill(8, 0, 144);
        l.fill(9, 144, 256);
        l.fill(7, 256, 280);
        l.fill(8, 280, 288);
        lit = huffman(l, 288);
        dist = huffman(new Uint8Array(30).fill(5), 30);
      } else {
        const nlen = bits(5) + 257;
        const ndist = bits(5) + 1;
        const ncode = bits(4) + 4;
        if (nlen > 286 || ndist > 30) throw new RangeError("counts");
        const lengths = new Uint8Array(320);
        for (let i = 0; i < ncode; i++) lengths[CL_ORDER[i]!] = bits(3);
        const lencode = huffman(lengths, 19);
        lengths.fill(0);
        for (let i = 0; i < nlen + ndist;) {
          const sym = decode(lencode);
          if (sym < 16) lengths[i++] = sym;
          else {
            let len = 0;
            let rep: number;
            if (sym === 16) {
              if (i === 0) throw new RangeError("repeat");
              len = lengths[i - 1]!;
              rep = 3 + bits(2);
            } else if (sym === 17) rep = 3 + bits(3);
            else rep = 11 + bits(7);
            if (i + rep > nlen + ndist) throw new RangeError("repeat");
            while (rep-- > 0) lengths[i++] = len;
          }
        }
        lit = huffman(lengths.subarray(0, nlen), nlen);
        dist = huffman(lengths.subarray(nlen, nlen + ndist), ndist);
      }
      while (out.length < want) {
        const sym = decode(lit);
        if (sym < 256) out.push(sym);
        else if (sym === 256) break;
        else {
          const li = sym - 257;
          if (li >= 29) throw new RangeError("length");
          const len = LEN_BASE[li]! + bits(LEN_EXTRA[li]!);
          const di = decode(dist);
          if (di >= 30) throw new RangeError("distance");
          const d = DIST_BASE[di]! + bits(DIST_EXTRA[di]!);
          if (d > out.length) throw new RangeError("distance");
          for (let k = 0; k < len && out.length < want; k++) out.push(out[out.length - d]!);
        }
      }
    } else throw new RangeError("type");
    if (last === 1) break;
  }
  return out;
}

/** The first bytes of a gzip'd base64 value, or null when it is not gzip or cannot be decoded. */
export function gunzipBase64Prefix(b64: string, want = 8): number[] | null {
  try {
    let b = b64.slice(0, 4_096).replaceAll("-", "+").replaceAll("_", "/");
    b = b.slice(0, b.length - (b.length % 4));
    const bin = atob(b);
    const data = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
    if (data.length < 12 || data[0] !== 0x1f || data[1] !== 0x8b || data[2] !== 8) return null;
    const flags = data[3]!;
    let pos = 10;
    if (flags & 4) pos += 2 + (data[pos]! | (data[pos + 1]! << 8));
    if (flags & 8) while (pos < data.length && data[pos++] !== 0);
    if (flags & 16) while (pos < data.length && data[pos++] !== 0);
    if (flags & 2) pos += 2;
    if (pos >= data.length) return null;
    return inflatePrefix(data, pos, want);
  } catch {
    return null;
  }
}
