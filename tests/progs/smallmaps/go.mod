module smallmaps

go 1.21
