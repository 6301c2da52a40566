"""Messages staff read inside Wijkloket."""
