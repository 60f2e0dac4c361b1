"""Qt item models over records that services return (no SQL here)."""
