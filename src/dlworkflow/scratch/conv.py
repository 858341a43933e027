"""2-D convolution and max pooling, twice each: by loops (the notes' picture of a
kernel sliding over the image) and by im2col (the same sums as one matrix product).

As in the notes and in Keras, "convolution" is cross-correlation: the kernel is not
flipped. Shapes follow Keras: image (H, W, C), kernel (k_h, k_w, C, F), output
(H', W', F) with H' = (H − k + 2p)/s + 1. A 2-D image or kernel means one channel.
``padding="same"`` pads like Keras (the extra row/column, if any, at the bottom/right).
"""

from __future__ import annotations

import numpy as np

from dlworkflow.errors import BadInput

# The notes' table of kernels (Hình 7.16), plus Sobel from seed 004. The notes label
# the 8-centred kernel "Sharpen"; it is an edge detector (it sums to 0, so flat areas
# go black) and is "edge" here, while "sharpen" is the 5-centred kernel that keeps the
# image and adds its edges (it sums to 1).
KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
    "sobel-x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    "sobel-y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
    "blur": np.full((3, 3), 1 / 9, dtype=np.float64),
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),
}


def named_kernel(name: str) -> np.ndarray:
    if name not in KERNELS:
        raise BadInput(f"--kernel: '{name}' is not a kernel; use one of {', '.join(KERNELS)}")
    return KERNELS[name].copy()


def output_size(size: int, k: int, stride: int, padding: str) -> int:
    """The notes' (m − k + 2p)/s + 1, with Keras' rounding for 'same' and 'valid'."""
    if padding == "same":
        return -(-size // stride)
    return (size - k) // stride + 1


def pad_for(x: np.ndarray, k_h: int, k_w: int, stride: int, padding: str) -> np.ndarray:
    """Zero-pad (H, W, C) so that a 'valid' slide gives the requested padding's output."""
    if padding == "valid":
        return x
    if padding != "same":
        raise BadInput(f"padding: '{padding}' is not 'valid' or 'same'")
    h, w = x.shape[:2]
    extra_h = max((output_size(h, k_h, stride, "same") - 1) * stride + k_h - h, 0)
    extra_w = max((output_size(w, k_w, stride, "same") - 1) * stride + k_w - w, 0)
    return np.pad(
        x,
        ((extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2), (0, 0)),
    )


def _as_hwc(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[..., None] if x.ndim == 2 else x


def _as_kernel(kernel: np.ndarray) -> np.ndarray:
    kernel = np.asarray(kernel, dtype=np.float64)
    return kernel[:, :, None, None] if kernel.ndim == 2 else kernel


def _check(x: np.ndarray, kernel: np.ndarray, stride: int) -> None:
    if x.ndim != 3 or kernel.ndim != 4 or kernel.shape[2] != x.shape[2]:
        raise BadInput(
            f"conv2d: image {x.shape} and kernel {kernel.shape} do not fit; "
            "use (H, W, C) and (k_h, k_w, C, F)"
        )
    if stride < 1:
        raise BadInput(f"stride: {stride} must be at least 1")


def conv2d_loops(
    x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: str = "valid"
) -> np.ndarray:
    """Slide the kernel: each output is the sum of the window times the kernel."""
    x, kernel = _as_hwc(x), _as_kernel(kernel)
    _check(x, kernel, stride)
    k_h, k_w, _, filters = kernel.shape
    padded = pad_for(x, k_h, k_w, stride, padding)
    out_h = (padded.shape[0] - k_h) // stride + 1
    out_w = (padded.shape[1] - k_w) // stride + 1
    out = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * stride : i * stride + k_h, j * stride : j * stride + k_w, :]
            for f in range(filters):
                out[i, j, f] = np.sum(window * kernel[:, :, :, f])
    return out


def im2col(padded: np.ndarray, k_h: int, k_w: int, stride: int) -> np.ndarray:
    """Every k_h×k_w×C window as one row: (out_h·out_w, k_h·k_w·C).

    Built one kernel offset at a time (k_h·k_w strided slices), in the order of
    ``kernel.reshape(-1, F)``, so the convolution becomes ``columns @ kernel``.
    """
    out_h = (padded.shape[0] - k_h) // stride + 1
    out_w = (padded.shape[1] - k_w) // stride + 1
    channels = padded.shape[2]
    columns = np.empty((out_h, out_w, k_h, k_w, channels))
    for di in range(k_h):
        for dj in range(k_w):
            columns[:, :, di, dj, :] = padded[
                di : di + stride * out_h : stride, dj : dj + stride * out_w : stride, :
            ]
    return columns.reshape(out_h * out_w, k_h * k_w * channels)


def conv2d(
    x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: str = "valid"
) -> np.ndarray:
    """The same result as :func:`conv2d_loops`, as one matrix product (im2col)."""
    x, kernel = _as_hwc(x), _as_kernel(kernel)
    _check(x, kernel, stride)
    k_h, k_w, _, filters = kernel.shape
    padded = pad_for(x, k_h, k_w, stride, padding)
    out_h = (padded.shape[0] - k_h) // stride + 1
    out_w = (padded.shape[1] - k_w) // stride + 1
    columns = im2col(padded, k_h, k_w, stride)
    return (columns @ kernel.reshape(-1, filters)).reshape(out_h, out_w, filters)


def max_pool2d_loops(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """The largest value of each size×size window, per channel (Keras' 'valid' pooling)."""
    x = _as_hwc(x)
    stride = stride or size
    out_h, out_w = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    out = np.zeros((out_h, out_w, x.shape[2]))
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride : i * stride + size, j * stride : j * stride + size, :]
            out[i, j, :] = window.max(axis=(0, 1))
    return out


def max_pool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """:func:`max_pool2d_loops` by im2col: each window a row, the max along it."""
    x = _as_hwc(x)
    stride = stride or size
    out_h, out_w = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    channels = x.shape[2]
    columns = im2col(x, size, size, stride).reshape(out_h * out_w, size * size, channels)
    return columns.max(axis=1).reshape(out_h, out_w, channels)
