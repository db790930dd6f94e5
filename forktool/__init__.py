"""Build, check and test this Django fork from its pinned upstream and patches."""
