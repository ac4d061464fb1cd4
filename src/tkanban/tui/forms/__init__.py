"""The forms: one module each, on one base (fields, errors, save, cancel, the editor)."""
