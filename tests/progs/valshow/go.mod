module valshow

go 1.21
