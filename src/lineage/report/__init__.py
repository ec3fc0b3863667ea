"""Reports an auditor reads and hands over: one self-contained HTML page per artifact (or
per author, for a privacy team), printable to PDF, and the same pages served locally."""
