"""QR codes (二维码): issuing tokens, and the printable images and signs."""
