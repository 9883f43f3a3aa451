"""Channels by destination kind; each module under ``contrib`` registers its own."""

from __future__ import annotations

from .base import Channel

_channels: dict[str, Channel] = {}


def register(channel_class: type[Channel]) -> type[Channel]:
    if channel_class.kind in _channels:
        raise ValueError(f"channel {channel_class.kind} registered twice")
    _channels[channel_class.kind] = channel_class()
    return channel_class


def channel_for(kind: str) -> Channel:
    return _channels[kind]
