"""Reader for Sluice packed token shards (docs/shards.md), with numpy and zstandard only.

    from sluice_shards import ShardDataset
    data = ShardDataset("out/shards", split="train")
    window = data.read(1000, 2025)          # numpy uint32 array of 1 025 ids
    doc = data.shards[0].document(3)        # one document, its EOS included

The index is memory-mapped; each read decompresses only the frames it touches and checks their
zstd checksums. Damaged files raise ShardError naming the file; no wrong tokens are returned.
"""
from __future__ import annotations

import mmap
import os
import struct
import zlib
from bisect import bisect_right

import numpy as np
import zstandard

MAGIC = b"SLUICETK"
HEADER = struct.Struct("<8sHBBIIIQQQQII")  # 64 bytes
assert HEADER.size == 64


class ShardError(Exception):
    """A shard that cannot be trusted: wrong magic, truncated, checksum or index mismatch."""


class ShardReader:
    """One shard file."""

    def __init__(self, path: str):
        self.path = path
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if os.path.getsize(path) else b""
        m = self._map
        if len(m) < 64:
            raise ShardError(f"truncated shard: {len(m)} bytes, shorter than the 64-byte header ({path})")
        (magic, version, dtype, _flags, self.vocab_size, self.eos_id, self.frame_tokens, self.token_count,
         self.document_count, self.tokenizer_fingerprint, self.index_offset, header_crc, index_crc) = HEADER.unpack_from(m, 0)
        if magic != MAGIC:
            raise ShardError(f"not a Sluice token shard (wrong magic, expected SLUICETK) ({path}:0)")
        if zlib.crc32(m[0:56]) != header_crc:
            raise ShardError(f"header checksum mismatch ({path}:56)")
        if version != 1:
            raise ShardError(f"unsupported shard version {version} ({path}:8)")
        if dtype not in (2, 4):
            raise ShardError(f"unknown dtype code {dtype} ({path}:10)")
        self.dtype = np.dtype("<u2") if dtype == 2 else np.dtype("<u4")
        self.frame_count = -(-self.token_count // self.frame_tokens) if self.frame_tokens else 0
        index_size = 8 * (self.frame_count + 1) + 8 * (self.document_count + 1)
        expected = self.index_offset + index_size
        if len(m) != expected:
            what = "truncated shard" if len(m) < expected else "trailing bytes after the index"
            raise ShardError(f"{what}: {len(m)} bytes, the header promises {expected} ({path})")
        index = memoryview(m)[self.index_offset:expected]
        if zlib.crc32(index) != index_crc:
            raise ShardError(f"index checksum mismatch ({path}:{self.index_offset})")
        self.frame_offsets = np.frombuffer(m, dtype="<u8", count=self.frame_count + 1, offset=self.index_offset)
        self.document_ends = np.frombuffer(m, dtype="<u8", count=self.document_count + 1,
                                           offset=self.index_offset + 8 * (self.frame_count + 1))
        if self.document_ends[0] != 0 or self.document_ends[-1] != self.token_count or np.any(np.diff(self.document_ends.astype(np.int64)) <= 0):
            raise ShardError(f"document index inconsistent ({path})")
        if self.frame_count and (self.frame_offsets[0] != 64 or np.any(np.diff(self.frame_offsets.astype(np.int64)) <= 0)):
            raise ShardError(f"frame index inconsistent ({path})")
        self._dctx = zstandard.ZstdDecompressor()
        self._cached = (-1, None)

    def __len__(self) -> int:
        return self.token_count

    def _frame(self, i: int) -> np.ndarray:
        if self._cached[0] == i:
            return self._cached[1]
        a, b = int(self.frame_offsets[i]), int(self.frame_offsets[i + 1])
        n = min(self.frame_tokens, self.token_count - i * self.frame_tokens)
        try:
            raw = self._dctx.decompress(self._map[a:b], max_output_size=n * self.dtype.itemsize)
        except zstandard.ZstdError as e:
            raise ShardError(f"frame {i} does not decode: {e} ({self.path}:{a})") from None
        if len(raw) != n * self.dtype.itemsize:
            raise ShardError(f"frame {i} holds {len(raw)} bytes, expected {n * self.dtype.itemsize} ({self.path}:{a})")
        tokens = np.frombuffer(raw, dtype=self.dtype)
        self._cached = (i, tokens)
        return tokens

    def read(self, start: int, stop: int) -> np.ndarray:
        """Tokens [start, stop) as uint32."""
        if not (0 <= start <= stop <= self.token_count):
            raise IndexError(f"token range {start}..{stop} outside 0..{self.token_count} ({self.path})")
        out = np.empty(stop - start, dtype=np.uint32)
        pos, k, f = start, 0, self.frame_tokens
        while pos < stop:
            i = pos // f
            frame = self._frame(i)
            s = pos - i * f
            n = min(len(frame) - s, stop - pos)
            out[k:k + n] = frame[s:s + n]
            k += n
            pos += n
        return out

    def document(self, d: int) -> np.ndarray:
        """Document d's tokens, its EOS included."""
        return self.read(int(self.document_ends[d]), int(self.document_ends[d + 1]))


class ShardDataset:
    """All shards of one split (`DIR/train` or `DIR/validation`) as one token stream."""

    def __init__(self, directory: str, split: str = "train", tokenizer_fingerprint: int | None = None):
        folder = os.path.join(directory, split)
        names = sorted(n for n in os.listdir(folder) if n.endswith(".shard"))
        if not names:
            raise ShardError(f"no .shard files in the {split} split ({folder})")
        self.shards = [ShardReader(os.path.join(folder, n)) for n in names]
        first = self.shards[0]
        for s in self.shards:
            if (s.tokenizer_fingerprint, s.vocab_size, s.eos_id) != (first.tokenizer_fingerprint, first.vocab_size, first.eos_id):
                raise ShardError(f"shard disagrees with {first.path} on tokenizer, vocab size or EOS ({s.path})")
            if tokenizer_fingerprint is not None and s.tokenizer_fingerprint != tokenizer_fingerprint:
                raise ShardError(f"tokenizer fingerprint mismatch: shard has {s.tokenizer_fingerprint:016x}, "
                                 f"expected {tokenizer_fingerprint:016x} ({s.path})")
        self.starts = [0]
        for s in self.shards:
            self.starts.append(self.starts[-1] + s.token_count)
        self.vocab_size, self.eos_id = first.vocab_size, first.eos_id
        self.tokenizer_fingerprint = first.tokenizer_fingerprint

    def __len__(self) -> int:
        return self.starts[-1]

    @property
    def document_count(self) -> int:
        return sum(s.document_count for s in self.shards)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Tokens [start, stop) of the split as uint32, across shard files."""
        if not (0 <= start <= stop <= len(self)):
            raise IndexError(f"token range {start}..{stop} outside 0..{len(self)}")
        parts, pos = [], start
        k = bisect_right(self.starts, pos) - 1
        while pos < stop:
            while pos >= self.starts[k + 1]:
                k += 1
            n = min(self.starts[k + 1], stop) - pos
            parts.append(self.shards[k].read(pos - self.starts[k], pos - self.starts[k] + n))
            pos += n
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)

    def documents(self):
        """Every document of the split in order, each with its EOS."""
        for s in self.shards:
            for d in range(s.document_count):
                yield s.document(d)


if __name__ == "__main__":
    import sys
    ds = ShardDataset(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "train")
    print(f"{len(ds.shards)} shards, {ds.document_count} documents, {len(ds)} tokens, "
          f"vocab {ds.vocab_size}, eos {ds.eos_id}, fingerprint {ds.tokenizer_fingerprint:016x}")
