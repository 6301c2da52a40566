"""Forms: one BaseForm, validators in one module, one module per form."""
