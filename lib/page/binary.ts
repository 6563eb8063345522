/**
 * Binary data the page sends or receives, read through natives only: which kind it is (ArrayBuffer, view, Blob),
 * where its bytes are, and our own copy of them (the page may reuse its buffer once send returns).
 */
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';

/** Where readBinaryRange found the bytes: one scratch object, not one per frame. */
export interface BinaryRange {
  buffer: ArrayBuffer;
  offset: number;
  length: number;
}

export interface BinaryReader {
  /** Filled by readBinaryRange. */
  range: BinaryRange;
  /** Fills `range` for an ArrayBuffer, typed array or DataView; false for anything else (a Blob). */
  readBinaryRange(data: object): boolean;
  /** Our own copy of binary data: the page may reuse its buffer after send returns. */
  copyBuffer(buffer: ArrayBuffer, start: number, end: number): ArrayBuffer;
  /** Snapshot of binary send/receive data: a copy of the exact bytes, or the (immutable) Blob. */
  snapshotBinary(data: object): ArrayBuffer | Blob | undefined;
  isArrayBuffer(value: object): boolean;
  isBlob(value: object): boolean;
}

export function binaryReader(natives: Natives, own: OwnObjects): BinaryReader {
  const { apply, abSlice, abByteLength, ArrayBufferCtor, blobSize, isView, taBuffer, taByteOffset, taByteLength, dvBuffer, dvByteOffset, dvByteLength } = natives;

  function copyBuffer(buffer: ArrayBuffer, start: number, end: number): ArrayBuffer {
    try {
      return apply(abSlice, buffer, [start, end]) as ArrayBuffer;
    } catch {
      return new ArrayBufferCtor(0); // detached buffer: nothing was sent
    }
  }

  function isArrayBuffer(value: object): boolean {
    try {
      apply(abByteLength, value, []);
      return true;
    } catch {
      return false;
    }
  }
  function isBlob(value: object): boolean {
    try {
      apply(blobSize, value, []);
      return true;
    } catch {
      return false;
    }
  }

  function snapshotBinary(data: object): ArrayBuffer | Blob | undefined {
    if (readBinaryRange(data)) return copyBuffer(binaryRange.buffer, binaryRange.offset, binaryRange.offset + binaryRange.length);
    if (isBlob(data)) return data as Blob;
    return undefined;
  }

  const binaryRange: BinaryRange = own.withoutPrototype({ buffer: new ArrayBufferCtor(0), offset: 0, length: 0 });
  function readBinaryRange(data: object): boolean {
    try {
      if (isView(data)) {
        try {
          binaryRange.buffer = apply(taBuffer, data, []) as ArrayBuffer;
          binaryRange.offset = apply(taByteOffset, data, []) as number;
          binaryRange.length = apply(taByteLength, data, []) as number;
        } catch {
          binaryRange.buffer = apply(dvBuffer, data, []) as ArrayBuffer;
          binaryRange.offset = apply(dvByteOffset, data, []) as number;
          binaryRange.length = apply(dvByteLength, data, []) as number;
        }
        return true;
      }
      if (isArrayBuffer(data)) {
        binaryRange.buffer = data as ArrayBuffer;
        binaryRange.offset = 0;
        binaryRange.length = apply(abByteLength, data, []) as number;
        return true;
      }
    } catch {
      // a view of a detached buffer, or an object that only looks like one
    }
    return false;
  }

  return own.withoutPrototype({ range: binaryRange, readBinaryRange, copyBuffer, snapshotBinary, isArrayBuffer, isBlob });
}
