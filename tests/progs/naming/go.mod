module naming

go 1.21
