"""The user's documents: extracting their text, passages, collections (no Qt)."""
