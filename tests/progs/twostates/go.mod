module twostates

go 1.21
