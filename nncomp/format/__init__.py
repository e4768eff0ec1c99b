"""The .nnc format (docs/FORMAT.md), without torch: frames and their headers (container.py), the
range coder of model payloads (coder.py) and the text dictionary stored with them
(tokenizer.py)."""
