"""Use cases. The only code that commits; views call one service each."""
