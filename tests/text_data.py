"""A small Vietnamese product-review dataset, written here (CC0), for tests and examples.

Three labels (tích cực, tiêu cực, trung lập); sentences are composed from phrases with
a seeded generator, including harder cases (negations, "A nhưng B" where the second
clause decides). ``python tests/text_data.py PATH`` writes the CSV that
``examples/data/vi_reviews.csv`` is.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

SUBJECTS = [
    "Sản phẩm",
    "Điện thoại",
    "Áo khoác",
    "Quán ăn",
    "Khách sạn",
    "Dịch vụ giao hàng",
    "Cuốn sách",
    "Tai nghe",
    "Đôi giày",
    "Nhà hàng",
]
PHRASES = {
    "tích cực": [
        "rất tốt",
        "tuyệt vời",
        "đáng tiền",
        "chất lượng cao",
        "đẹp và bền",
        "nhân viên thân thiện",
        "giao hàng nhanh",
        "tôi rất hài lòng",
        "sẽ mua lại",
        "không tệ chút nào",
        "vượt mong đợi",
    ],
    "tiêu cực": [
        "quá tệ",
        "thất vọng",
        "không đáng tiền",
        "hỏng sau một tuần",
        "giao hàng chậm",
        "nhân viên thô lỗ",
        "tôi sẽ không mua lại",
        "chất lượng kém",
        "không tốt lắm",
        "phí tiền",
    ],
    "trung lập": [
        "bình thường",
        "tạm được",
        "giá cả hợp lý",
        "không có gì đặc biệt",
        "đúng như mô tả",
        "dùng ổn",
        "cũng được",
        "chưa biết dùng lâu thế nào",
    ],
}
FILLERS = ["", "", "Mình mua hôm qua.", "Đặt qua mạng.", "Lần đầu dùng thử.", "Mua tặng mẹ."]


def reviews(count: int = 300, seed: int = 0) -> list[tuple[str, str]]:
    """``count`` (text, label) pairs, balanced over the three labels."""
    rng = random.Random(seed)
    labels = list(PHRASES)
    rows = []
    for i in range(count):
        label = labels[i % 3]
        subject = rng.choice(SUBJECTS)
        first, second = rng.sample(PHRASES[label], 2)
        if rng.random() < 0.15:  # a contrast: the clause after "nhưng" decides
            other = rng.choice([name for name in labels if name != label])
            text = f"{subject} {rng.choice(PHRASES[other])} nhưng {first}."
        else:
            text = f"{subject} {first}, {second}."
        filler = rng.choice(FILLERS)
        rows.append((f"{text} {filler}".strip(), label))
    return rows


def write_reviews(path: Path, count: int = 300, seed: int = 0) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(reviews(count, seed))
    return path


if __name__ == "__main__":
    write_reviews(Path(sys.argv[1]))
