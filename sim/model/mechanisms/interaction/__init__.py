"""The interaction loop: citizens write to government accounts, staff answer, responsiveness earns followers."""
