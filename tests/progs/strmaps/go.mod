module strmaps

go 1.21
