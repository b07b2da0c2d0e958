module census

go 1.21
