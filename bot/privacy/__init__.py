"""A person's data: what we show them (/mydata), erasing it (/delete), and retention."""
