module censusmaps

go 1.21
