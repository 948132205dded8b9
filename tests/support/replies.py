"""What a client shows while following a reply, rebuilt from the frames it received."""

from __future__ import annotations


def attached_text(frames: list[dict]) -> str:
    """The text of a reply followed from `chat.attach`: a `message.snapshot` sets the text through
    its seq (the attach's answer, or a gap filled later); then each delta must be the next seq
    (one already covered is dropped, as PROTOCOL.md tells clients). Deltas before the first
    snapshot are ignored: the client had not attached yet."""
    text, seq, attached = "", 0, False
    for f in frames:
        data = f.get("data", {})
        if f["type"] == "message.snapshot":
            if data["seq"] >= seq:
                text, seq, attached = data["content"], data["seq"], True
        elif f["type"] == "message.delta" and attached and data["seq"] > seq:
            assert data["seq"] == seq + 1, f"delta {data['seq']} after {seq}: a gap"
            text, seq = text + data["delta"], data["seq"]
    assert attached, "no message.snapshot"
    return text
