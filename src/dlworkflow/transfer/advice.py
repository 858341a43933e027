"""The notes' four-way rule: how much data, and how alike it is to the backbone's source.

Small and similar → features with a linear classifier; large and similar → fine-tune;
small and different → features from earlier layers only; large and different → train,
starting from the pretrained weights. The notes give no number for "small"; this uses
the common rule of thumb of 1,000 training images per class.
"""

from __future__ import annotations

SMALL_PER_CLASS = 1000

# Source datasets grouped by what their images look like.
DOMAINS = {
    "imagenet": "natural photos",
    "cifar10": "natural photos",
    "cifar100": "natural photos",
    "flowers17": "natural photos",
    "mnist": "grey handwritten digits",
    "digits": "grey handwritten digits",
    "fashion_mnist": "grey clothing photos",
    "faces_att": "grey face photos",
}

CASES = {
    (True, True): (
        "features",
        "small data, similar to the backbone's: use the backbone as a feature extractor with "
        "a linear classifier; fine-tuning this little data would overfit",
    ),
    (False, True): (
        "fine_tune",
        "large data, similar to the backbone's: fine-tune; with this much data overfitting "
        "is not the worry",
    ),
    (True, False): (
        "features",
        "small data, different from the backbone's: extract features, but from earlier "
        "layers (set transfer.backbone.cut), which hold general edges and corners rather "
        "than the source's specific parts",
    ),
    (False, False): (
        "fine_tune",
        "large data, different from the backbone's: train the whole network, starting from "
        "the pretrained weights rather than from random ones",
    ),
}


def four_way_advice(
    train_size: int,
    num_classes: int,
    data_name: str,
    pretrained_on: str | None,
    similar: bool | None = None,
) -> dict:
    """Which of the four cases applies and what the notes recommend for it.

    ``similar`` overrides the guess from the dataset names; when neither tells, both
    cases of the size row are given.
    """
    per_class = train_size / max(num_classes, 1)
    small = per_class < SMALL_PER_CLASS
    size_text = (
        f"{train_size:,} training images, {per_class:,.0f} per class "
        f"({'under' if small else 'at least'} {SMALL_PER_CLASS:,}: {'small' if small else 'large'})"
    )
    reason = "as stated (transfer.similar)"
    if similar is None and pretrained_on is not None:
        mine, theirs = DOMAINS.get(data_name.lower()), DOMAINS.get(pretrained_on.lower())
        if mine and theirs:
            similar = mine == theirs
            reason = f"{data_name} is {mine}, {pretrained_on} is {theirs}"
    if similar is None:
        source = pretrained_on or "an untrained backbone"
        return {
            "size": size_text,
            "small": small,
            "similar": None,
            "similarity": f"unknown for {source}; set transfer.similar (and "
            "transfer.backbone.pretrained_on)",
            "recommended": None,
            "advice": [CASES[(small, True)][1], CASES[(small, False)][1]],
        }
    method, text = CASES[(small, similar)]
    return {
        "size": size_text,
        "small": small,
        "similar": similar,
        "similarity": reason,
        "recommended": method,
        "advice": [text],
    }
