module bigmap

go 1.21
