"""Listening and incidents (issue 16): volume spikes, clusters of similar messages, high-reach complaints,
incidents that group many cases, and bulk operations over many cases. See docs/listening.md."""
