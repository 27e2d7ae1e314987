"""mallkit: analytics toolkit of a B2C online mall."""
