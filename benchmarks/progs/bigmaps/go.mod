module bigmaps

go 1.21
