"""Both directions: callbacks into Python, data out of the guest, argument marshalling, and
every path into linear memory."""
